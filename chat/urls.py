from django.urls import path

from chat import views, views_fans

app_name = "chat"
urlpatterns = [
    path("chat/<int:pk>/", views.channel_chat, name="channel"),
    path("chat/<int:pk>/c/<int:conversation_pk>/", views.channel_chat, name="conversation"),
    path("chat/<int:pk>/ask/", views.ask, name="ask"),
    path("chat/conversations/<int:conversation_pk>/regenerate/", views.regenerate, name="regenerate"),
    path("chat/conversations/<int:conversation_pk>/delete/", views.conversation_delete, name="delete"),
    path("chat/answers/<int:message_pk>/stream/", views.stream, name="stream"),
    path("c/<slug:slug>/", views.public_chat, name="public"),
    path("c/<slug:slug>/c/<int:conversation_pk>/", views.public_chat, name="public_conversation"),
    path("c/<slug:slug>/card.png", views_fans.share_card, name="share_card"),
    path("chats/", views_fans.my_chats, name="my_chats"),
]
