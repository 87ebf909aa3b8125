"""Outgoing webhooks: the emulator calls your site back the way Stream does.

Configured through the real API, as ``client.update_app_settings(...)`` sends it (``PATCH /app``):
``event_hooks=[{"hook_type": "webhook", "enabled": True, "webhook_url": url, "event_types": []}]``
(an empty list means every event) or the older ``webhook_url`` (filtered by ``webhook_events``),
with ``enable_hook_payload_compression`` for gzipped bodies (``appinfo`` stores them; ``GET /app``
shows them).

Each event is one ``POST`` with Stream's headers: ``X-Signature`` (hex HMAC-SHA256 of the
uncompressed body, keyed with the API secret), ``X-Webhook-Id`` (the same on every retry),
``X-Webhook-Attempt`` (from 1) and ``X-Api-Key``. Retries follow Stream's rules: 408, 429 and 5xx
answers and timeouts get 3 attempts, network errors 2; each attempt may take 6 s and all of them
together 15 s. The pause between attempts is the emulator option ``webhook_retry_delay`` (tests set
it to 0).

The :class:`WebhookSender` hangs from the emulator's event bus. It builds each body when the event
is published (so members' ``online`` flags are those of that moment) and posts from a task on the
emulator's event loop, so that no API request waits for a webhook.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import json
import logging
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from .events import Event
from .state import iso

if TYPE_CHECKING:
    from .context import Emulation

logger = logging.getLogger(__name__)

#: The events Stream sends to webhooks (docs: "Webhook events"); WebSocket-only events never are.
WEBHOOK_EVENT_TYPES = frozenset(
    {
        "message.new",
        "message.updated",
        "message.deleted",
        "message.read",
        "message.flagged",
        "reaction.new",
        "reaction.updated",
        "reaction.deleted",
        "member.added",
        "member.updated",
        "member.removed",
        "channel.created",
        "channel.updated",
        "channel.deleted",
        "channel.truncated",
        "channel.hidden",
        "channel.visible",
        "channel.muted",
        "channel.unmuted",
        "user.updated",
        "user.deleted",
        "user.deactivated",
        "user.reactivated",
        "user.banned",
        "user.unbanned",
    }
)
#: Message and channel events list the channel's members, with their read state, up to this many.
MEMBERS_LIMIT = 50
ATTEMPT_TIMEOUT = 6.0
TOTAL_TIMEOUT = 15.0
MAX_ATTEMPTS = 3
MAX_NETWORK_ATTEMPTS = 2
KEPT_DELIVERIES = 1000


def should_retry(status: int) -> bool:
    return status in (408, 429) or status >= 500


@dataclass
class Delivery:
    """One event to one URL, and what became of each attempt (``emulator.webhook_deliveries()``)."""

    id: str
    url: str
    type: str
    body: bytes
    gzipped: bool
    attempts: list[dict[str, Any]] = field(default_factory=list)
    status: str = "pending"  # then "delivered" or "failed"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "type": self.type,
            "payload": json.loads(self.body),
            "gzipped": self.gzipped,
            "attempts": [dict(attempt) for attempt in self.attempts],
            "status": self.status,
        }


class WebhookSender:
    """Subscribes to the event bus; turns webhook-worthy events into deliveries."""

    def __init__(self, emulation: Emulation) -> None:
        self.emulation = emulation
        #: The latest deliveries, oldest first (bounded: a demo emulator runs for days).
        self.deliveries: deque[Delivery] = deque(maxlen=KEPT_DELIVERIES)
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    # -- configuration (what PATCH /app stored) ---------------------------------------------------

    def urls_for(self, event_type: str) -> list[str]:
        settings = self.emulation.state.app_settings
        urls = []
        for hook in settings.get("event_hooks", []):
            wanted = not hook.get("event_types") or event_type in hook["event_types"]
            url = hook.get("webhook_url")
            is_webhook = hook.get("hook_type", "webhook") == "webhook" and hook.get("enabled", True)
            if is_webhook and isinstance(url, str) and url and wanted:
                urls.append(url)
        legacy = settings.get("webhook_url")
        if legacy and (
            not settings.get("webhook_events") or event_type in settings["webhook_events"]
        ):
            urls.append(legacy)
        return urls

    # -- the bus subscriber (runs on the loop thread, inside the publishing request) --------------

    def __call__(self, event: Event) -> None:
        if event.type not in WEBHOOK_EVENT_TYPES:
            return
        urls = self.urls_for(event.type)
        if not urls:
            return
        body = json.dumps(self.payload(event), separators=(",", ":")).encode()
        gzipped = bool(self.emulation.state.app_settings.get("enable_hook_payload_compression"))
        loop = asyncio.get_running_loop()
        for url in urls:
            delivery = Delivery(str(uuid.uuid4()), url, event.type, body, gzipped)
            self.deliveries.append(delivery)
            task = loop.create_task(self.deliver(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def payload(self, event: Event) -> dict[str, Any]:
        """The webhook body: the event, plus the members list Stream adds to channel events."""
        payload = {key: value for key, value in event.payload.items() if key != "watcher_count"}
        channel = self.emulation.state.channels.get(str(payload.get("cid", "")))
        if channel is None or not event.type.startswith(("message.", "reaction.", "channel.")):
            return payload
        render, state = self.emulation.render, self.emulation.state

        def with_read_state(uid: str, rendered_user: dict[str, Any]) -> dict[str, Any]:
            read = channel.reads.get(uid)
            totals = state.unread_totals(uid)
            return {
                **rendered_user,
                "total_unread_count": totals["total_unread_count"],
                "unread_channels": totals["unread_channels"],
                "channel_unread_count": read.unread_messages if read else 0,
                "channel_last_read_at": iso(read.last_read) if read else None,
            }

        members = []
        for member in list(channel.members.values())[:MEMBERS_LIMIT]:
            rendered = render.member(member, channel)
            rendered["user"] = with_read_state(member.user_id, rendered["user"])
            members.append(rendered)
        payload["members"] = members
        user = payload.get("user")
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            payload["user"] = with_read_state(user["id"], user)
        return payload

    # -- delivery (a task on the emulator's loop) -------------------------------------------------

    async def deliver(self, delivery: Delivery) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TOTAL_TIMEOUT
        config = self.emulation.config
        signature = hmac.new(config.api_secret.encode(), delivery.body, hashlib.sha256).hexdigest()
        data = gzip.compress(delivery.body) if delivery.gzipped else delivery.body
        headers = {
            "Content-Type": "application/json",
            "X-Signature": signature,
            "X-Webhook-Id": delivery.id,
            "X-Api-Key": config.api_key,
        }
        if delivery.gzipped:
            headers["Content-Encoding"] = "gzip"
        network_errors = 0
        for attempt in range(1, MAX_ATTEMPTS + 1):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            outcome = await self.attempt(
                delivery.url, data, {**headers, "X-Webhook-Attempt": str(attempt)}, remaining
            )
            delivery.attempts.append({"attempt": attempt, **outcome})
            status = outcome.get("status")
            if status is not None and 200 <= status < 300:
                delivery.status = "delivered"
                return
            if status is not None and not should_retry(status):
                break
            if outcome.get("error") == "network":
                network_errors += 1
                if network_errors >= MAX_NETWORK_ATTEMPTS:
                    break
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(
                    min(config.webhook_retry_delay, max(0.0, deadline - loop.time()))
                )
        delivery.status = "failed"

    async def attempt(
        self, url: str, data: bytes, headers: dict[str, str], remaining: float
    ) -> dict[str, Any]:
        """One POST: ``{"status": 200}`` or ``{"status": None, "error": "timeout"|"network"}``."""
        timeout = aiohttp.ClientTimeout(total=min(ATTEMPT_TIMEOUT, remaining))
        try:
            async with self.session().post(
                url, data=data, headers=headers, timeout=timeout
            ) as answer:
                await answer.read()
                return {"status": answer.status}
        except asyncio.TimeoutError:
            return {"status": None, "error": "timeout"}
        except (aiohttp.ClientError, OSError, ValueError) as error:
            logger.info("webhook to %s failed: %s", url, error)
            return {"status": None, "error": "network"}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # One connection per request: a site's dev server (runserver, live_server) then never
            # holds a thread on an idle keep-alive connection from the emulator.
            connector = aiohttp.TCPConnector(force_close=True)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def wait(self) -> None:
        """Until every delivery started so far has finished (delivered or failed)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel what is in flight and close the HTTP session (the emulator is stopping)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        """Forget past deliveries and drop those in flight (they belong to the state just wiped)."""
        for task in list(self._tasks):
            task.cancel()
        self.deliveries.clear()
