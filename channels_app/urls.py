from django.urls import path

from channels_app import views

app_name = "channels"
urlpatterns = [
    path("", views.channel_list, name="list"),
    path("add/", views.channel_add, name="add"),
    path("add-uploads/", views.channel_add_uploads, name="add_uploads"),
    path("<int:pk>/", views.channel_detail, name="detail"),
    path("<int:pk>/sync/", views.channel_sync, name="sync"),
    path("<int:pk>/delete/", views.channel_delete, name="delete"),
    path("<int:pk>/profile/", views.channel_profile_edit, name="profile"),
    path("<int:pk>/upload/", views.video_upload, name="upload"),
    path("<int:pk>/retry/", views.channel_retry, name="retry"),
    path("<int:pk>/public/", views.channel_public, name="public"),
    path("<int:pk>/videos/<int:video_pk>/retry/", views.video_retry, name="video_retry"),
    path("<int:pk>/videos/<int:video_pk>/delete/", views.video_delete, name="video_delete"),
]
