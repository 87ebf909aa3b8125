"""Helpers for the webhook tests: signed requests exactly as Stream sends them, and a receiver."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from django_streaminbox.events import StreamEvent
from django_streaminbox.signals import stream_event


def stream_signature(body: bytes, secret: str | None = None) -> str:
    """Written out here rather than imported: the test must not trust the code under test."""
    key = (secret or settings.STREAMINBOX_API_SECRET).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def message_new(cid: str = "messaging:dm-1-2", sender: str = "1", **extra: Any) -> dict[str, Any]:
    channel_type, channel_id = cid.split(":")
    return {
        "type": "message.new",
        "cid": cid,
        "channel_type": channel_type,
        "channel_id": channel_id,
        "message": {"id": str(uuid.uuid4()), "text": "Hello there", "type": "regular"},
        "user": {"id": sender, "name": "Sender", "online": True},
        "members": [],
        "created_at": "2026-12-03T20:00:00.123456Z",
        **extra,
    }


class Stream:
    """Sends webhooks to the view like Stream does; ``**overrides`` break one thing at a time."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.url = reverse("streaminbox:webhook")

    def post(
        self,
        payload: dict[str, Any] | None = None,
        *,
        body: bytes | None = None,
        signed_body: bytes | None = None,
        gzipped: bool = False,
        webhook_id: str | None = None,
        attempt: int = 1,
        **headers: str | None,
    ) -> Any:
        raw = body if body is not None else json.dumps(payload or message_new()).encode()
        sent = gzip.compress(raw) if gzipped else raw
        all_headers = {
            "X-Signature": stream_signature(signed_body if signed_body is not None else raw),
            "X-Api-Key": settings.STREAMINBOX_API_KEY,
            "X-Webhook-Id": webhook_id or str(uuid.uuid4()),
            "X-Webhook-Attempt": str(attempt),
        }
        if gzipped:
            all_headers["Content-Encoding"] = "gzip"
        all_headers.update(headers)
        present = {name: value for name, value in all_headers.items() if value is not None}
        return self.client.post(
            self.url, data=sent, content_type="application/json", headers=present
        )


@pytest.fixture
def stream(client: Client) -> Stream:
    return Stream(client)


@pytest.fixture
def events() -> Iterator[list[StreamEvent]]:
    """Every ``stream_event`` sent while the test runs, in order."""
    received: list[StreamEvent] = []

    def receive(sender: object, event: StreamEvent, **kwargs: Any) -> None:
        received.append(event)

    stream_event.connect(receive, dispatch_uid="tests.webhooks.events")
    yield received
    stream_event.disconnect(dispatch_uid="tests.webhooks.events")


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    caches[settings.STREAMINBOX_CACHE].clear()
    yield
    caches[settings.STREAMINBOX_CACHE].clear()
