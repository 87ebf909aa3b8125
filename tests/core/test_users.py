"""What a Django user is to Stream: the id, the data (never the email), who may message whom."""

from __future__ import annotations

from typing import Any

import pytest

from django_streaminbox.users import (
    can_message,
    default_user_data,
    fingerprint,
    stream_user_data,
    stream_user_id,
)

from .conftest import CUSTOM_USER, create_user, only_custom_user, only_default_user

pytestmark = pytest.mark.django_db


def test_default_id_is_the_primary_key_as_a_string() -> None:
    user = create_user()
    assert stream_user_id(user) == str(user.pk)


def test_default_data_is_the_name_and_never_the_email() -> None:
    user = create_user("ada", full_name="Ada Lovelace")
    assert stream_user_data(user) == {"id": str(user.pk), "name": "Ada Lovelace"}


@only_default_user
def test_without_a_name_the_username_is_used() -> None:
    user = create_user("ada")
    user.email = "ada@example.com"  # type: ignore[attr-defined]
    assert stream_user_data(user) == {"id": str(user.pk), "name": "ada"}


@only_custom_user
def test_when_the_username_is_the_email_it_is_not_sent() -> None:
    user = create_user("ada")
    assert default_user_data(user) == {}
    assert "ada@example.com" not in str(stream_user_data(user))


def site_prefixed_id(user: Any) -> str:
    return f"site-{user.pk}"


def bad_id(user: Any) -> str:
    return "has space"


def profile_data(user: Any) -> dict[str, Any]:
    return {"name": "X", "image": "https://img.example/x.png", "id": "ignored"}


def test_user_id_setting(settings: Any) -> None:
    settings.STREAMINBOX_USER_ID = "tests.core.test_users.site_prefixed_id"
    user = create_user()
    assert stream_user_id(user) == f"site-{user.pk}"
    assert stream_user_data(user)["id"] == f"site-{user.pk}"


def test_an_id_stream_would_refuse_is_refused(settings: Any) -> None:
    settings.STREAMINBOX_USER_ID = "tests.core.test_users.bad_id"
    with pytest.raises(ValueError, match="Stream user ids"):
        stream_user_id(create_user())


def test_user_data_setting_cannot_change_the_id(settings: Any) -> None:
    settings.STREAMINBOX_USER_DATA = "tests.core.test_users.profile_data"
    user = create_user()
    assert stream_user_data(user) == {
        "id": str(user.pk),
        "name": "X",
        "image": "https://img.example/x.png",
    }


def test_default_can_message_any_other_active_user() -> None:
    ada, bob, gone = create_user(), create_user(), create_user(is_active=False)
    assert can_message(ada, bob)
    assert not can_message(ada, ada)
    assert not can_message(ada, gone)


def test_fingerprint_changes_with_the_data_only() -> None:
    assert fingerprint({"id": "1", "name": "A"}) == fingerprint({"name": "A", "id": "1"})
    assert fingerprint({"id": "1", "name": "A"}) != fingerprint({"id": "1", "name": "B"})


def test_the_custom_model_is_active_in_this_run() -> None:
    """Guards the second run of this suite: it must really use the custom user model."""
    from django.contrib.auth import get_user_model

    assert (get_user_model()._meta.label == "testapp.EmailUser") is CUSTOM_USER
