from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from people import views

urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.PersonListView.as_view(), name="people"),
    path("people/<str:username>/", views.ProfileView.as_view(), name="profile"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("messages/", include("django_streaminbox.urls")),
    path("admin/", admin.site.urls),
]
