"""End to end: the emulator delivers webhooks to the site under ``live_server`` as Stream does.

Messages are sent with the real ``stream-chat`` Python SDK; webhooks are configured with its
``update_app_settings``; "online" means holding a real WebSocket connection to the emulator.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import requests
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from stream_chat import StreamChat

from django_streaminbox.emulator import Emulator
from django_streaminbox.events import EventType, StreamEvent
from django_streaminbox.signals import stream_event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def webhook_url(live_server: Any) -> str:
    return str(live_server.url) + reverse("streaminbox:webhook")


@pytest.fixture
def sdk(stream_emulator: Emulator, webhook_url: str) -> Iterator[StreamChat]:
    """The real Python SDK on the emulator, with the app's webhook pointed at the live server."""
    config = stream_emulator.emulation.config
    delay, config.webhook_retry_delay = config.webhook_retry_delay, 0.0
    client = StreamChat(
        stream_emulator.api_key, stream_emulator.api_secret, base_url=stream_emulator.url
    )
    client.update_app_settings(
        event_hooks=[
            {"hook_type": "webhook", "enabled": True, "webhook_url": webhook_url, "event_types": []}
        ]
    )
    try:
        yield client
    finally:
        stream_emulator.wait_for_webhooks()
        config.webhook_retry_delay = delay
        finish_live_server_requests()


def finish_live_server_requests() -> None:
    """Let the live server's request threads close their (shared, in-memory) database connection
    before the test database goes away: they close it just after the emulator has its answer."""
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(5)


def conversation(sdk: StreamChat, *users: User) -> Any:
    ids = [str(user.pk) for user in users]
    sdk.upsert_users([{"id": str(user.pk), "name": user.username} for user in users])
    channel = sdk.channel("messaging", "dm-" + "-".join(ids), {"members": ids})
    channel.create(ids[0])
    return channel


def deliveries(emulator: Emulator, event_type: str) -> list[dict[str, Any]]:
    emulator.wait_for_webhooks()
    return [d for d in emulator.webhook_deliveries() if d["type"] == event_type]


def of_type(events: list[StreamEvent], event_type: str) -> list[StreamEvent]:
    return [event for event in events if event.type == event_type]


def test_a_message_sent_with_the_sdk_arrives_as_one_stream_event(
    sdk: StreamChat, stream_emulator: Emulator, events: list[StreamEvent]
) -> None:
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    channel = conversation(sdk, alice, bob)

    channel.send_message({"text": "Hello Bob"}, str(alice.pk))

    [delivery] = deliveries(stream_emulator, "message.new")
    [event] = of_type(events, EventType.MESSAGE_NEW)
    assert delivery["status"] == "delivered"
    assert event.cid == f"messaging:dm-{alice.pk}-{bob.pk}"
    assert event.user_id == str(alice.pk)
    assert event.user == alice
    assert event.message is not None and event.message["text"] == "Hello Bob"
    assert event.webhook_id == delivery["id"]
    assert sorted(event.member_ids) == sorted([str(alice.pk), str(bob.pk)])
    assert of_type(events, EventType.CHANNEL_CREATED)[0].cid == event.cid


def test_the_other_stream_events_arrive_too(
    sdk: StreamChat, stream_emulator: Emulator, events: list[StreamEvent]
) -> None:
    alice, bob, carol = (User.objects.create_user(name) for name in ("alice", "bob", "carol"))
    channel = conversation(sdk, alice, bob)
    sent = channel.send_message({"text": "v1"}, str(alice.pk))["message"]

    sdk.update_message({"id": sent["id"], "text": "v2", "user_id": str(alice.pk)})
    channel.mark_read(str(bob.pk))
    sdk.delete_message(sent["id"])
    channel.add_members([str(carol.pk)])
    sdk.upsert_user({"id": str(carol.pk), "name": "Carol"})
    sdk.delete_user(str(carol.pk))
    stream_emulator.wait_for_webhooks()

    types = {event.type for event in events}
    assert {
        EventType.MESSAGE_NEW,
        EventType.MESSAGE_UPDATED,
        EventType.MESSAGE_READ,
        EventType.MESSAGE_DELETED,
        EventType.CHANNEL_CREATED,
        EventType.MEMBER_ADDED,
        EventType.USER_UPDATED,
        EventType.USER_DELETED,
    } <= types
    assert not any(t.startswith(("notification.", "typing.", "health.")) for t in types)


def test_a_retry_of_a_processed_delivery_dispatches_nothing(
    sdk: StreamChat, stream_emulator: Emulator, events: list[StreamEvent], webhook_url: str
) -> None:
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    conversation(sdk, alice, bob).send_message({"text": "once"}, str(alice.pk))
    [delivery] = deliveries(stream_emulator, "message.new")
    before = len(events)

    body = json.dumps(delivery["payload"]).encode()
    retry = post(webhook_url, body, stream_emulator, webhook_id=delivery["id"], attempt=2)

    assert retry.status_code == 200
    assert retry.json() == {"ok": True, "duplicate": True}
    assert len(events) == before


def test_gzipped_deliveries_are_understood(
    sdk: StreamChat, stream_emulator: Emulator, events: list[StreamEvent]
) -> None:
    sdk.update_app_settings(enable_hook_payload_compression=True)
    assert sdk.get_app_settings()["app"]["enable_hook_payload_compression"] is True
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")

    conversation(sdk, alice, bob).send_message({"text": "zipped"}, str(alice.pk))

    [delivery] = deliveries(stream_emulator, "message.new")
    assert delivery["gzipped"] is True
    assert delivery["status"] == "delivered"
    [event] = of_type(events, EventType.MESSAGE_NEW)
    assert event.message is not None and event.message["text"] == "zipped"


def test_a_receiver_that_fails_once_is_retried_by_the_emulator_and_succeeds(
    sdk: StreamChat, stream_emulator: Emulator
) -> None:
    attempts: list[tuple[str, int]] = []

    def flaky(sender: object, event: StreamEvent, **kwargs: Any) -> None:
        if event.type == EventType.MESSAGE_NEW:
            attempts.append((event.webhook_id, event.attempt))
            if len(attempts) == 1:
                raise RuntimeError("the database is briefly away")

    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    channel = conversation(sdk, alice, bob)
    stream_event.connect(flaky, dispatch_uid="tests.flaky")
    try:
        channel.send_message({"text": "try again"}, str(alice.pk))
        [delivery] = deliveries(stream_emulator, "message.new")
    finally:
        stream_event.disconnect(dispatch_uid="tests.flaky")

    assert [a["status"] for a in delivery["attempts"]] == [500, 200]
    assert delivery["status"] == "delivered"
    assert attempts == [(delivery["id"], 1), (delivery["id"], 2)]


# Requests that are not what Stream sends, over real HTTP to the live server.


def sign(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(
    url: str,
    data: bytes,
    emulator: Emulator,
    *,
    signed: bytes | None = None,
    webhook_id: str | None = None,
    attempt: int = 1,
    **headers: str,
) -> requests.Response:
    sent_headers = {
        "Content-Type": "application/json",
        "X-Signature": sign(data if signed is None else signed, emulator.api_secret),
        "X-Api-Key": emulator.api_key,
        "X-Webhook-Id": webhook_id or str(uuid.uuid4()),
        "X-Webhook-Attempt": str(attempt),
        **headers,
    }
    return requests.post(url, data=data, headers=sent_headers, timeout=10)


EVENT = json.dumps({"type": "message.new", "cid": "messaging:x", "user": {"id": "1"}}).encode()


@pytest.mark.parametrize(
    ("name", "data", "extra", "status"),
    [
        ("wrong signature", EVENT, {"X-Signature": "ab" * 32}, 401),
        ("wrong key", EVENT, {"X-Api-Key": "not-the-key"}, 401),
        ("truncated", EVENT[:-9], {"signed": EVENT}, 401),
        ("truncated gzip", gzip.compress(EVENT)[:-9], {"signed": EVENT}, 400),
        ("empty", b"", {}, 400),
        ("5 MB", b'{"type":"message.new","x":"' + b"x" * 5_000_000 + b'"}', {}, 413),
        ("not JSON", b"<html>hello</html>", {}, 400),
    ],
)
def test_requests_that_are_not_a_valid_event_are_refused_with_json(
    stream_emulator: Emulator,
    webhook_url: str,
    events: list[StreamEvent],
    name: str,
    data: bytes,
    extra: dict[str, Any],
    status: int,
) -> None:
    response = post(webhook_url, data, stream_emulator, **extra)

    assert response.status_code == status, name
    assert response.headers["Content-Type"] == "application/json"
    assert "error" in response.json()
    assert events == []


def test_a_gzipped_request_is_accepted(
    stream_emulator: Emulator, webhook_url: str, events: list[StreamEvent]
) -> None:
    response = post(
        webhook_url,
        gzip.compress(EVENT),
        stream_emulator,
        signed=EVENT,
        **{"Content-Encoding": "gzip"},
    )

    assert response.status_code == 200
    assert [event.cid for event in events] == ["messaging:x"]


# Email notifications: offline means no WebSocket connection to the emulator.


@contextmanager
def online(emulator: Emulator, user: User) -> Iterator[dict[str, Any]]:
    """Hold a WebSocket to the emulator as ``user``, like a browser with the inbox open."""
    uid = str(user.pk)
    token = StreamChat(emulator.api_key, emulator.api_secret).create_token(uid)
    query = urlencode(
        {
            "json": json.dumps({"user_id": uid, "user_details": {"id": uid}}),
            "api_key": emulator.api_key,
            "authorization": token,
            "stream-auth-type": "jwt",
        }
    )
    url = emulator.url.replace("http", "ws", 1) + "/connect?" + query
    loop = asyncio.new_event_loop()
    connected, first_frame = threading.Event(), {}
    stop = asyncio.Event()

    async def hold() -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket:
            first_frame.update(await socket.receive_json(timeout=5))
            connected.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(hold(),), daemon=True)
    thread.start()
    try:
        assert connected.wait(5), "the WebSocket did not connect"
        assert first_frame["type"] == "health.check"
        yield first_frame
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(5)
        loop.close()


def test_an_offline_member_is_emailed_once_for_a_burst_and_an_online_one_not_at_all(
    sdk: StreamChat, stream_emulator: Emulator, settings: Any
) -> None:
    settings.STREAMINBOX_EMAIL_NOTIFICATIONS = True
    alice = User.objects.create_user("alice", "alice@example.com")
    bob = User.objects.create_user("bob", "bob@example.com")
    carol = User.objects.create_user("carol", "carol@example.com")
    to_bob, to_carol = conversation(sdk, alice, bob), conversation(sdk, alice, carol)

    burst = ["Hi", "are you around?", "ring me"]
    with online(stream_emulator, carol):
        for text in burst:
            to_bob.send_message({"text": text}, str(alice.pk))
            to_carol.send_message({"text": text}, str(alice.pk))
        stream_emulator.wait_for_webhooks()

    assert len(deliveries(stream_emulator, "message.new")) == 6
    [email] = mail.outbox
    assert email.to == ["bob@example.com"]
    # Deliveries run concurrently, as Stream's do: whichever message came first is the one quoted.
    assert sum(text in email.body for text in burst) == 1
    payload = deliveries(stream_emulator, "message.new")[-1]["payload"]
    online_flags = {m["user_id"]: m["user"]["online"] for m in payload["members"]}
    assert online_flags[str(carol.pk)] is True


@pytest.mark.node
def test_a_message_sent_with_the_js_sdk_arrives_as_one_stream_event(
    sdk: StreamChat, stream_emulator: Emulator, events: list[StreamEvent]
) -> None:
    from tests.js.node import run_node

    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    channel = conversation(sdk, alice, bob)
    credentials = {
        "STREAM_KEY": stream_emulator.api_key,
        "STREAM_SECRET": stream_emulator.api_secret,
    }

    sent = run_node(
        "../webhooks/js_send_message.mjs",
        stream_emulator,
        str(alice.pk),
        channel.id,
        "from the browser SDK",
        env=credentials,
    )

    assert sent["ok"], sent
    [delivery] = deliveries(stream_emulator, "message.new")
    [event] = of_type(events, EventType.MESSAGE_NEW)
    assert delivery["status"] == "delivered"
    assert (event.cid, event.user_id, event.user) == (sent["cid"], str(alice.pk), alice)
    assert event.message is not None and event.message["id"] == sent["message_id"]
