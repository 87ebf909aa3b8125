"""Email notifications: offline members hear about new messages once per conversation."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client

from django_streaminbox.events import StreamEvent
from django_streaminbox.notifications import EmailPreference

from .conftest import Stream, message_new

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notifications_on(settings: Any) -> None:
    settings.STREAMINBOX_EMAIL_NOTIFICATIONS = True


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice", "alice@example.com", first_name="Alice")


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob", "bob@example.com")


def member(user: User, *, online: bool, **extra: Any) -> dict[str, Any]:
    return {"user_id": str(user.pk), "user": {"id": str(user.pk), "online": online}, **extra}


def new_message(
    sender: User, *members: dict[str, Any], cid: str = "messaging:dm-a-b", **message: Any
) -> dict[str, Any]:
    payload = message_new(cid=cid, sender=str(sender.pk), members=list(members))
    payload["user"]["name"] = "Alice <Artist>"
    payload["message"].update(message)
    return payload


def test_an_offline_member_gets_one_email_for_a_burst(
    stream: Stream, alice: User, bob: User
) -> None:
    for text in ["Hi Bob", "are you there?", "call me"]:
        payload = new_message(alice, member(alice, online=True), member(bob, online=False))
        payload["message"]["text"] = text
        assert stream.post(payload).status_code == 200

    [email] = mail.outbox
    assert email.to == ["bob@example.com"]
    assert email.subject == "New message from Alice <Artist>"
    assert "Hi Bob" in email.body
    html, mimetype = email.alternatives[0]  # type: ignore[attr-defined]
    assert mimetype == "text/html"
    assert "Alice &lt;Artist&gt;" in html and "Hi Bob" in html


def test_an_online_member_gets_no_email(stream: Stream, alice: User, bob: User) -> None:
    stream.post(new_message(alice, member(alice, online=False), member(bob, online=True)))

    assert mail.outbox == []


def test_the_sender_and_members_who_muted_the_channel_get_no_email(
    stream: Stream, alice: User, bob: User
) -> None:
    muted = member(bob, online=False, notifications_muted=True)
    stream.post(new_message(alice, member(alice, online=False), muted))

    assert mail.outbox == []


def test_each_conversation_has_its_own_quiet_period(stream: Stream, alice: User, bob: User) -> None:
    for cid in ["messaging:one", "messaging:two", "messaging:one"]:
        stream.post(new_message(alice, member(bob, online=False), cid=cid))

    assert len(mail.outbox) == 2


def test_after_the_quiet_period_a_new_message_emails_again(
    stream: Stream, alice: User, bob: User, settings: Any
) -> None:
    settings.STREAMINBOX_EMAIL_QUIET_PERIOD = 0  # Django caches: expire at once
    stream.post(new_message(alice, member(bob, online=False)))
    stream.post(new_message(alice, member(bob, online=False)))

    assert len(mail.outbox) == 2


def only_a_notice(user: User, event: StreamEvent) -> str:
    return EmailPreference.NOTICE if user.username == "bob" else EmailPreference.MESSAGE


def no_email(user: User, event: StreamEvent) -> str:
    return EmailPreference.NONE


def test_users_who_opted_out_of_message_text_get_a_notice_without_it(
    stream: Stream, alice: User, bob: User, settings: Any
) -> None:
    settings.STREAMINBOX_EMAIL_PREFERENCE = "tests.webhooks.test_notifications.only_a_notice"
    stream.post(new_message(alice, member(bob, online=False), text="my secret plans"))

    [email] = mail.outbox
    assert "Alice <Artist> sent you a message" in email.body
    assert "secret" not in email.body
    assert "secret" not in email.alternatives[0][0]  # type: ignore[attr-defined]


def test_users_who_opted_out_of_email_get_none(
    stream: Stream, alice: User, bob: User, settings: Any
) -> None:
    settings.STREAMINBOX_EMAIL_PREFERENCE = "tests.webhooks.test_notifications.no_email"
    stream.post(new_message(alice, member(bob, online=False)))

    assert mail.outbox == []


def test_notifications_are_off_by_default(
    stream: Stream, alice: User, bob: User, settings: Any
) -> None:
    from django_streaminbox.conf import StreamInboxConf

    settings.STREAMINBOX_EMAIL_NOTIFICATIONS = StreamInboxConf.EMAIL_NOTIFICATIONS
    assert settings.STREAMINBOX_EMAIL_NOTIFICATIONS is False
    stream.post(new_message(alice, member(bob, online=False)))

    assert mail.outbox == []


@pytest.mark.parametrize(
    "message",
    [
        {"silent": True},
        {"type": "system"},
        {"parent_id": "thread-root"},
    ],
)
def test_silent_system_and_thread_only_messages_email_nobody(
    stream: Stream, alice: User, bob: User, message: dict[str, Any]
) -> None:
    stream.post(new_message(alice, member(bob, online=False), **message))

    assert mail.outbox == []


def test_a_thread_reply_also_shown_in_the_channel_is_a_message(
    stream: Stream, alice: User, bob: User
) -> None:
    reply = {"parent_id": "thread-root", "show_in_channel": True}
    stream.post(new_message(alice, member(bob, online=False), **reply))

    assert len(mail.outbox) == 1


def test_other_events_and_unknown_or_addressless_members_email_nobody(
    stream: Stream, alice: User, bob: User
) -> None:
    bob.email = ""
    bob.save()
    updated = new_message(alice, member(bob, online=False))
    updated["type"] = "message.updated"
    stranger = {"user_id": "424242", "user": {"id": "424242", "online": False}}

    stream.post(updated)
    stream.post(new_message(alice, member(bob, online=False), stranger, "junk"))

    assert mail.outbox == []


class FailingOnceBackend(EmailBackend):
    failed = False

    def send_messages(self, messages: Any) -> int:
        if not FailingOnceBackend.failed:
            FailingOnceBackend.failed = True
            raise ConnectionError("SMTP server unreachable")
        return super().send_messages(messages)


def test_a_failed_send_is_tried_again_on_streams_retry(
    alice: User, bob: User, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.webhooks.test_notifications.FailingOnceBackend"
    stream = Stream(Client(raise_request_exception=False))
    payload = new_message(alice, member(bob, online=False))

    first = stream.post(payload, webhook_id="mail-1")
    retry = stream.post(payload, webhook_id="mail-1", attempt=2)

    assert (first.status_code, retry.status_code) == (500, 200)
    assert len(mail.outbox) == 1


def test_without_an_inbox_url_the_email_has_no_link(alice: User, bob: User, settings: Any) -> None:
    from django_streaminbox.notifications import conversation_url

    settings.ROOT_URLCONF = "tests.webhooks.urls_without_inbox"

    assert conversation_url("messaging:x", None) == ""


def test_the_link_opens_the_conversation_in_the_inbox(
    stream: Stream, alice: User, bob: User
) -> None:
    stream.post(new_message(alice, member(bob, online=False), cid="messaging:dm-a-b"))

    [email] = mail.outbox
    assert "http://testserver/messages/?channel=messaging%3Adm-a-b" in email.body
