from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "streaminbox"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("channel/", views.DirectChannelView.as_view(), name="channel"),
    path("users/", views.UserDirectoryView.as_view(), name="users"),
    path("webhook/", views.WebhookView.as_view(), name="webhook"),
]
