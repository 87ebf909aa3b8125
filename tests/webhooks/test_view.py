"""WebhookView: what Stream's signed requests turn into, and what everything else gets."""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client, override_settings

from django_streaminbox.events import EventType, StreamEvent
from django_streaminbox.exceptions import BadRequest, StreamUnavailable
from django_streaminbox.signals import stream_event

from .conftest import Stream, message_new, stream_signature


def error_code(response: Any) -> str:
    assert response["Content-Type"] == "application/json"
    return str(response.json()["error"]["code"])


def test_a_signed_message_new_is_one_stream_event(
    stream: Stream, events: list[StreamEvent]
) -> None:
    response = stream.post(message_new(cid="messaging:dm-7-9", sender="7"), webhook_id="wh-1")

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    [event] = events
    assert event.type == EventType.MESSAGE_NEW
    assert event.cid == "messaging:dm-7-9"
    assert event.user_id == "7"
    assert event.webhook_id == "wh-1"
    assert event.attempt == 1
    assert event.created_at is not None and event.created_at.year == 2026
    assert event.message is not None and event.message["text"] == "Hello there"
    assert event.payload["channel_id"] == "dm-7-9"


def test_a_retry_of_a_delivered_webhook_dispatches_nothing(
    stream: Stream, events: list[StreamEvent]
) -> None:
    payload = message_new()
    first = stream.post(payload, webhook_id="same-id")
    retry = stream.post(payload, webhook_id="same-id", attempt=2)
    other = stream.post(payload, webhook_id="another-id")

    assert (first.status_code, retry.status_code, other.status_code) == (200, 200, 200)
    assert retry.json() == {"ok": True, "duplicate": True}
    assert [e.webhook_id for e in events] == ["same-id", "another-id"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"X-Signature": "0" * 64}, "invalid_signature"),
        ({"X-Signature": None}, "invalid_signature"),
        ({"X-Signature": ""}, "invalid_signature"),
        ({"X-Signature": "é" * 64}, "invalid_signature"),
        ({"X-Api-Key": "someone-elses-key"}, "invalid_api_key"),
        ({"X-Api-Key": None}, "invalid_api_key"),
    ],
)
def test_a_bad_signature_or_key_is_401_and_dispatches_nothing(
    stream: Stream, events: list[StreamEvent], headers: dict[str, str | None], code: str
) -> None:
    response = stream.post(message_new(), **headers)

    assert response.status_code == 401
    assert error_code(response) == code
    assert events == []


def test_a_body_signed_with_another_secret_is_401(
    stream: Stream, events: list[StreamEvent]
) -> None:
    body = json.dumps(message_new()).encode()
    forged = stream_signature(body, secret="not-the-secret-" + "x" * 32)

    response = stream.post(body=body, **{"X-Signature": forged})

    assert response.status_code == 401
    assert events == []


def test_a_truncated_body_fails_its_signature(stream: Stream, events: list[StreamEvent]) -> None:
    body = json.dumps(message_new()).encode()

    response = stream.post(body=body[: len(body) // 2], signed_body=body)

    assert response.status_code == 401
    assert events == []


def test_a_truncated_gzip_body_is_400(stream: Stream, events: list[StreamEvent]) -> None:
    body = json.dumps(message_new()).encode()
    truncated = gzip.compress(body)[:-12]

    response = stream.post(body=truncated, signed_body=body, **{"Content-Encoding": "gzip"})

    assert response.status_code == 400
    assert error_code(response) == "malformed_body"
    assert events == []


def test_a_corrupt_gzip_body_is_400(stream: Stream, events: list[StreamEvent]) -> None:
    response = stream.post(body=b"\x1f\x8b" + b"not gzip at all", signed_body=b"{}")

    assert response.status_code == 400
    assert events == []


def test_a_gzipped_body_is_verified_on_its_uncompressed_bytes(
    stream: Stream, events: list[StreamEvent]
) -> None:
    response = stream.post(message_new(cid="messaging:zipped"), gzipped=True)

    assert response.status_code == 200
    assert [e.cid for e in events] == ["messaging:zipped"]


def test_a_gzipped_body_without_the_header_is_still_inflated(
    stream: Stream, events: list[StreamEvent]
) -> None:
    body = json.dumps(message_new(cid="messaging:magic")).encode()

    response = stream.post(body=gzip.compress(body), signed_body=body)

    assert response.status_code == 200
    assert [e.cid for e in events] == ["messaging:magic"]


def test_a_body_already_inflated_by_middleware_keeps_working(
    stream: Stream, events: list[StreamEvent]
) -> None:
    response = stream.post(message_new(cid="messaging:inflated"), **{"Content-Encoding": "gzip"})

    assert response.status_code == 200
    assert [e.cid for e in events] == ["messaging:inflated"]


def test_a_gzip_of_several_members_is_read_whole(stream: Stream, events: list[StreamEvent]) -> None:
    body = json.dumps(message_new(cid="messaging:two-parts")).encode()
    two_members = gzip.compress(body[:10]) + gzip.compress(body[10:])

    response = stream.post(body=two_members, signed_body=body)

    assert response.status_code == 200
    assert [e.cid for e in events] == ["messaging:two-parts"]


def test_an_empty_body_is_400_when_signed_and_401_when_not(
    stream: Stream, events: list[StreamEvent]
) -> None:
    signed = stream.post(body=b"")
    unsigned = stream.post(body=b"", **{"X-Signature": None})

    assert signed.status_code == 400
    assert error_code(signed) == "malformed_body"
    assert unsigned.status_code == 401
    assert events == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"message.new"',
        b"{}",
        b'{"type": ""}',
        b'{"type": 7}',
        b"[" * 200_000 + b"]" * 200_000,
    ],
)
def test_a_signed_body_that_is_not_an_event_is_400(
    stream: Stream, events: list[StreamEvent], body: bytes
) -> None:
    response = stream.post(body=body)

    assert response.status_code == 400
    assert error_code(response) == "malformed_body"
    assert events == []


def test_a_5_mb_body_is_413_unread(stream: Stream, events: list[StreamEvent]) -> None:
    payload = message_new()
    payload["message"]["text"] = "x" * (5 * 1024 * 1024)

    response = stream.post(payload)

    assert response.status_code == 413
    assert error_code(response) == "body_too_large"
    assert events == []


def test_a_small_gzip_that_inflates_past_the_limit_is_413(
    stream: Stream, events: list[StreamEvent]
) -> None:
    payload = message_new()
    payload["message"]["text"] = "x" * (5 * 1024 * 1024)
    body = json.dumps(payload).encode()

    response = stream.post(body=gzip.compress(body), signed_body=body)

    assert len(gzip.compress(body)) < 100_000
    assert response.status_code == 413
    assert events == []


@override_settings(STREAMINBOX_WEBHOOK_MAX_BYTES=10_000_000, DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_djangos_own_upload_limit_is_a_413_too(stream: Stream, events: list[StreamEvent]) -> None:
    payload = message_new()
    payload["message"]["text"] = "x" * 2000

    response = stream.post(payload)

    assert response.status_code == 413
    assert events == []


@override_settings(STREAMINBOX_API_SECRET="")
def test_without_a_secret_nothing_verifies(stream: Stream, events: list[StreamEvent]) -> None:
    body = json.dumps(message_new()).encode()

    response = stream.post(body=body, **{"X-Signature": stream_signature(body, secret="")})

    assert response.status_code == 401
    assert events == []


@override_settings(DEBUG=True)
def test_debug_does_not_turn_verification_off(stream: Stream, events: list[StreamEvent]) -> None:
    response = stream.post(message_new(), **{"X-Signature": "0" * 64})

    assert response.status_code == 401
    assert events == []


def test_a_failing_receiver_answers_500_and_its_retry_is_processed(
    events: list[StreamEvent],
) -> None:
    stream = Stream(Client(raise_request_exception=False))
    failures = ["once"]

    def fail_once(sender: object, event: StreamEvent, **kwargs: Any) -> None:
        if failures:
            failures.pop()
            raise RuntimeError("the database is down")

    stream_event.connect(fail_once, dispatch_uid="tests.fail_once")
    try:
        payload = message_new()
        first = stream.post(payload, webhook_id="flaky")
        retry = stream.post(payload, webhook_id="flaky", attempt=2)
        third = stream.post(payload, webhook_id="flaky", attempt=3)
    finally:
        stream_event.disconnect(dispatch_uid="tests.fail_once")

    assert first.status_code == 500
    assert error_code(first) == "server_error"
    assert retry.status_code == 200 and retry.json() == {"ok": True}
    assert third.json() == {"ok": True, "duplicate": True}
    # ``events`` was connected first, so it saw attempt 1 too: why receivers must be idempotent.
    assert [e.attempt for e in events] == [1, 2]


def test_a_retry_arriving_while_the_first_attempt_runs_is_asked_to_come_back(
    stream: Stream, client: Client
) -> None:
    started, release = threading.Event(), threading.Event()
    answers: dict[str, int] = {}

    def slow(sender: object, event: StreamEvent, **kwargs: Any) -> None:
        if event.attempt == 1:
            started.set()
            release.wait(5)

    payload = message_new()
    stream_event.connect(slow, dispatch_uid="tests.slow")
    try:
        first = threading.Thread(
            target=lambda: answers.update(first=stream.post(payload, webhook_id="s").status_code)
        )
        first.start()
        assert started.wait(5)
        retry = Stream(Client()).post(payload, webhook_id="s", attempt=2)
        release.set()
        first.join(5)
    finally:
        stream_event.disconnect(dispatch_uid="tests.slow")

    assert retry.status_code == 503
    assert error_code(retry) == "in_progress"
    assert answers == {"first": 200}
    assert Stream(Client()).post(payload, webhook_id="s", attempt=3).json()["duplicate"] is True


def test_a_delivery_is_remembered_for_the_configured_time(
    stream: Stream, events: list[StreamEvent], settings: Any
) -> None:
    settings.STREAMINBOX_WEBHOOK_ID_TTL = 0  # Django's "expire at once"
    stream.post(message_new(), webhook_id="short-lived")
    stream.post(message_new(), webhook_id="short-lived")

    assert len(events) == 2


def test_deliveries_are_remembered_in_the_configured_cache(
    stream: Stream, events: list[StreamEvent], settings: Any
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "webhooks": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "webhooks",
        },
    }
    settings.STREAMINBOX_CACHE = "webhooks"
    stream.post(message_new(), webhook_id="in-the-other-cache")
    caches["default"].clear()
    stream.post(message_new(), webhook_id="in-the-other-cache")
    caches["webhooks"].clear()
    stream.post(message_new(), webhook_id="in-the-other-cache")

    assert len(events) == 2


def test_without_a_webhook_id_every_request_is_processed(
    stream: Stream, events: list[StreamEvent]
) -> None:
    stream.post(message_new(), **{"X-Webhook-Id": None})
    stream.post(message_new(), **{"X-Webhook-Id": None})

    assert [e.webhook_id for e in events] == ["", ""]


def test_a_nonsense_attempt_header_counts_as_the_first(
    stream: Stream, events: list[StreamEvent]
) -> None:
    stream.post(message_new(), **{"X-Webhook-Attempt": "soon"})
    stream.post(message_new(), **{"X-Webhook-Attempt": "-3"})

    assert [e.attempt for e in events] == [1, 1]


def test_no_csrf_token_is_needed(events: list[StreamEvent]) -> None:
    response = Stream(Client(enforce_csrf_checks=True)).post(message_new())

    assert response.status_code == 200
    assert len(events) == 1


@override_settings(
    MIDDLEWARE=[*settings.MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"]
)
def test_no_login_is_needed_even_behind_login_required_middleware(
    stream: Stream, events: list[StreamEvent]
) -> None:
    response = stream.post(message_new())

    assert response.status_code == 200
    assert len(events) == 1


def test_head_and_options_are_answered_and_get_is_refused(client: Client) -> None:
    url = Stream(client).url

    head = client.head(url)
    options = client.options(url)
    get = client.get(url)

    assert head.status_code == 200
    assert options.status_code == 200
    assert set(options["Allow"].split(", ")) == {"POST", "HEAD", "OPTIONS"}
    assert get.status_code == 405
    assert error_code(get) == "method_not_allowed"


def test_answers_are_never_cached(stream: Stream) -> None:
    assert "no-cache" in stream.post(message_new())["Cache-Control"]


def test_the_request_is_given_to_receivers(stream: Stream) -> None:
    seen: list[str] = []

    def receive(sender: object, event: StreamEvent, request: Any, **kwargs: Any) -> None:
        seen.append(request.path)

    stream_event.connect(receive, dispatch_uid="tests.request")
    try:
        stream.post(message_new(webhook=str(uuid.uuid4())))
    finally:
        stream_event.disconnect(dispatch_uid="tests.request")

    assert seen == [stream.url]


def test_a_failing_receiver_without_a_webhook_id_is_a_500_too(events: list[StreamEvent]) -> None:
    def fail(sender: object, event: StreamEvent, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    stream_event.connect(fail, dispatch_uid="tests.fail")
    try:
        response = Stream(Client(raise_request_exception=False)).post(
            message_new(), **{"X-Webhook-Id": None}
        )
    finally:
        stream_event.disconnect(dispatch_uid="tests.fail")

    assert response.status_code == 500


def test_verify_and_parse_refuses_an_oversized_body_itself() -> None:
    from django_streaminbox.webhooks import WebhookTooLarge, verify_and_parse

    with pytest.raises(WebhookTooLarge):
        verify_and_parse(b"{}" * 10, signature="x", secret="s" * 32, max_bytes=5)


@pytest.mark.parametrize(
    "error",
    [Http404("gone"), PermissionDenied("no"), BadRequest("bad"), StreamUnavailable("down")],
    ids=["Http404", "PermissionDenied", "BadRequest", "StreamUnavailable"],
)
def test_whatever_a_receiver_raises_is_a_500_so_that_stream_retries(
    events: list[StreamEvent], error: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(sender: object, event: StreamEvent, **kwargs: Any) -> None:
        raise error

    stream_event.connect(fail, dispatch_uid="tests.fail_with")
    try:
        response = Stream(Client(raise_request_exception=False)).post(message_new())
    finally:
        stream_event.disconnect(dispatch_uid="tests.fail_with")

    assert response.status_code == 500
    assert error_code(response) == "server_error"
    assert any(
        record.exc_info and record.exc_info[1].__cause__ is error for record in caplog.records
    )
