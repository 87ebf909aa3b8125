"""Helpers for the resilience tests: users, Stream's copy of them, and browsers posting with CSRF.

Every fault test ends with :func:`assert_nothing_lost`: faults off, then Stream's copy of every
Django user must equal what ``STREAMINBOX_USER_DATA`` says now. That is the promise under test;
how many calls it took is not.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from hypothesis import HealthCheck, settings

from django_streaminbox.client import get_client
from django_streaminbox.users import stream_user_data

PASSWORD = "correct-horse-battery"

# CI runs the bounded profile (the default); `HYPOTHESIS_PROFILE=thorough` digs deeper locally.
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_numbers = itertools.count(1)


def make_user(name: str | None = None, *, full_name: str = "", **extra: Any) -> AbstractBaseUser:
    """A user of the active model (Django's, or the test app's EmailUser)."""
    model = get_user_model()
    name = name or f"person{next(_numbers)}"
    if model._meta.label == "testapp.EmailUser":
        return model._default_manager.create_user(  # type: ignore[attr-defined, no-any-return]
            email=f"{name}@example.com", password=PASSWORD, display_name=full_name, **extra
        )
    first, _, last = full_name.partition(" ")
    return model._default_manager.create_user(  # type: ignore[attr-defined, no-any-return]
        username=name, password=PASSWORD, first_name=first, last_name=last, **extra
    )


def set_name(user: AbstractBaseUser, full_name: str) -> None:
    """Change what Stream sees (the name), without saving."""
    if hasattr(user, "display_name"):
        user.display_name = full_name
    else:
        user.first_name, _, user.last_name = full_name.partition(" ")  # type: ignore[attr-defined]


def stream_copy(ids: Iterable[str], **options: Any) -> dict[str, dict[str, Any]]:
    """What Stream holds for these user ids, asked through the Python SDK, 100 at a time."""
    ids = list(ids)
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        response = get_client().query_users({"id": {"$in": chunk}}, limit=100, **options)
        found.update({u["id"]: u for u in response["users"]})
    return found


def assert_nothing_lost(emulator: Any) -> None:
    """Faults off; Stream's copy of every Django user equals their data now (name included)."""
    emulator.clear_faults()
    wanted = {}
    for user in get_user_model()._default_manager.order_by("pk"):
        data = stream_user_data(user)
        wanted[data["id"]] = data
    held = stream_copy(wanted)
    missing = sorted(set(wanted) - set(held))
    assert not missing, f"{len(missing)} user(s) never reached Stream, e.g. {missing[:5]}"
    stale = {
        user_id: (data, held[user_id])
        for user_id, data in wanted.items()
        if any(held[user_id].get(key) != value for key, value in data.items())
    }
    assert not stale, f"{len(stale)} user(s) differ in Stream, e.g. {list(stale.items())[:3]}"


@pytest.fixture
def emulator(stream_emulator: Any) -> Any:
    stream_emulator.clear_requests()
    return stream_emulator
