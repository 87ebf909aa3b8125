"""Helpers for the core tests. They run twice: with Django's user model and with a custom one.

``make test`` runs ``tests/core`` again under ``tests.settings_custom_user`` (UUID primary key, the
email as username), so every helper here creates users through whichever model is active.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from django_streaminbox.client import get_client
from tests.helpers import API

CUSTOM_USER = settings.AUTH_USER_MODEL == "testapp.EmailUser"
PASSWORD = "correct-horse-battery"

only_default_user = pytest.mark.skipif(CUSTOM_USER, reason="needs django.contrib.auth's User")
only_custom_user = pytest.mark.skipif(not CUSTOM_USER, reason="needs the custom EmailUser")

_numbers = itertools.count(1)


def create_user(name: str | None = None, *, full_name: str = "", **extra: Any) -> AbstractBaseUser:
    """A user of the active model: ``name`` is the username (Django) or the email's local part."""
    model = get_user_model()
    name = name or f"user{next(_numbers)}"
    if CUSTOM_USER:
        user = model._default_manager.create_user(  # type: ignore[attr-defined]
            email=f"{name}@example.com", password=PASSWORD, display_name=full_name, **extra
        )
    else:
        first, _, last = full_name.partition(" ")
        user = model._default_manager.create_user(  # type: ignore[attr-defined]
            username=name, password=PASSWORD, first_name=first, last_name=last, **extra
        )
    return user  # type: ignore[no-any-return]


def login_data(user: AbstractBaseUser) -> dict[str, str]:
    return {"username": user.get_username(), "password": PASSWORD}


def rename(user: AbstractBaseUser, full_name: str) -> None:
    """Change what Stream sees (the name) and save, as a profile form would."""
    if CUSTOM_USER:
        user.display_name = full_name  # type: ignore[attr-defined]
    else:
        user.first_name, _, user.last_name = full_name.partition(" ")  # type: ignore[attr-defined]
    user.save()


@pytest.fixture
def make_user(db: None) -> Callable[..., AbstractBaseUser]:
    return create_user


@pytest.fixture
def emulator(stream_emulator: Any) -> Any:
    """The running emulator with this test's settings pointed at it and an empty request log."""
    stream_emulator.clear_requests()
    return stream_emulator


def calls(emulator: Any, method: str, path: str) -> list[dict[str, Any]]:
    """The requests the emulator received for one endpoint, in order."""
    return [r for r in emulator.requests() if r["method"] == method and r["path"] == path]


def upserts(emulator: Any) -> list[dict[str, Any]]:
    return calls(emulator, "POST", "/users")


def stream_users(*ids: str) -> dict[str, dict[str, Any]]:
    """What Stream holds for these ids, asked through the SDK."""
    response = get_client().query_users({"id": {"$in": list(ids)}}, limit=100)
    return {u["id"]: u for u in response["users"]}


@pytest.fixture
def api_for() -> Callable[..., API]:
    return API
