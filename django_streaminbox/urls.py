from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "streaminbox"

urlpatterns: list[URLPattern | URLResolver] = [
    path("webhook/", views.WebhookView.as_view(), name="webhook"),
]
