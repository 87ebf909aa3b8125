"""A site that mounts only the webhook view, under its own name."""

from django.urls import path

from django_streaminbox.views import WebhookView

urlpatterns = [path("stream/hooks/", WebhookView.as_view(), name="stream-webhook")]
