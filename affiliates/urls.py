from django.urls import path

from affiliates import views

app_name = "affiliates"
urlpatterns = [
    path("", views.earnings, name="earnings"),
    path("payouts/", views.payout_request, name="payout_request"),
]
