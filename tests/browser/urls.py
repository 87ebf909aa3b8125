from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("people/<int:pk>/", views.profile, name="profile"),
    path("csp/", views.StrictCSPInboxView.as_view(), name="csp-inbox"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("messages/", include("django_streaminbox.urls")),
]
