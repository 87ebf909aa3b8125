"""The test site's URLs plus one view standing for a site's profile form (it saves the user)."""

from __future__ import annotations

import json

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from .conftest import set_name


def rename(request: HttpRequest) -> JsonResponse:
    """POST ``{"name": ...}``: what a profile form does, a save of ``request.user``."""
    user: AbstractBaseUser = request.user  # type: ignore[assignment]
    set_name(user, json.loads(request.body)["name"])
    user.save()
    return JsonResponse({"ok": True})


urlpatterns = [
    path("messages/", include("django_streaminbox.urls")),
    path("profile/", rename, name="profile"),
]
