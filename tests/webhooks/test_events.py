"""StreamEvent: the fields receivers rely on, and the lazy Django user behind the Stream id."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from django_streaminbox.events import EventType, StreamEvent, django_user_for
from django_streaminbox.webhooks import inflate, signature_matches


def test_fields_are_read_from_the_payload() -> None:
    event = StreamEvent(
        {
            "type": "member.added",
            "cid": "messaging:x",
            "user_id": "42",
            "created_at": "2026-01-02T03:04:05Z",
            "members": [{"user_id": "1"}, {"user": {"id": "2"}}, "junk", {"user": {}}],
        },
        webhook_id="w",
        attempt=3,
    )

    assert (event.type, event.cid, event.user_id) == (EventType.MEMBER_ADDED, "messaging:x", "42")
    assert (
        event.created_at is not None and event.created_at.isoformat() == "2026-01-02T03:04:05+00:00"
    )
    assert event.member_ids == ["1", "2"]
    assert event.message is None
    assert (event.webhook_id, event.attempt) == ("w", 3)
    assert repr(event) == "<StreamEvent member.added cid='messaging:x' user_id='42'>"


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "user.deleted", "user": "not an object", "created_at": 17, "members": "no"},
        {"type": "user.deleted", "cid": "", "created_at": "not a date"},
        {"type": "user.deleted", "created_at": "2026-13-45T99:00:00Z"},
    ],
)
def test_odd_payloads_give_none_not_errors(payload: dict[str, Any]) -> None:
    event = StreamEvent(payload)

    assert (event.cid, event.user_id, event.created_at, event.member_ids) == (None, None, None, [])
    assert event.user is None


@pytest.mark.django_db
def test_the_django_user_is_looked_up_once_and_only_when_asked(
    django_assert_num_queries: Any,
) -> None:
    alice = User.objects.create_user("alice")
    event = StreamEvent({"type": "message.new", "user": {"id": str(alice.pk)}})

    with django_assert_num_queries(1):
        assert event.user == alice
        assert event.user == alice


@pytest.mark.django_db
def test_unknown_inactive_and_foreign_ids_are_nobody() -> None:
    gone = User.objects.create_user("gone", is_active=False)

    assert django_user_for(str(gone.pk)) is None
    assert django_user_for("999999") is None
    assert django_user_for("not-a-number") is None


def find_by_username(stream_user_id: str) -> User | None:
    return User.objects.filter(username=stream_user_id).first()


@pytest.mark.django_db
@override_settings(STREAMINBOX_USER_LOOKUP="tests.webhooks.test_events.find_by_username")
def test_sites_with_their_own_ids_plug_in_the_reverse_lookup() -> None:
    bob = User.objects.create_user("bob")

    assert StreamEvent({"type": "message.new", "user": {"id": "bob"}}).user == bob


def test_a_signature_with_non_ascii_characters_never_matches() -> None:
    assert signature_matches(b"{}", "ü" * 64, "s" * 32) is False


def test_inflate_leaves_plain_bodies_alone() -> None:
    assert inflate(b'{"type": "x"}', max_bytes=10) == b'{"type": "x"}'
