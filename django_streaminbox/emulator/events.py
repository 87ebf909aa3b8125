"""The emulator's internal event bus: the one place where every event is published.

Every event the emulator generates (``message.new``, ``message.read``, ``typing.start``,
``notification.*``, ``user.presence.changed``, ...) goes through :meth:`EventBus.publish`. The
WebSocket
hub is one subscriber (it delivers each event to the connections named by its :class:`Audience`);
outgoing webhooks can be another::

    def forward(event: Event) -> None:
        print(event.type, event.payload)

    unsubscribe = emulator.bus.subscribe(forward)

Callbacks run synchronously on the emulator's event-loop thread, in publication order; they must be
quick (schedule slow work, e.g. an HTTP POST, with ``asyncio.get_running_loop().create_task``). A
callback that raises is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Audience:
    """Which WebSocket connections receive an event (Stream's recipient rules, docs: events.md).

    - ``watchers_of``: connections watching that channel (cid).
    - ``users``: every connection of these users; with ``not_watching`` only those not watching
    that cid.
    - ``presence_of``: connections subscribed to that user's presence (and the user's own).
    """

    watchers_of: str | None = None
    users: tuple[str, ...] = ()
    not_watching: str | None = None
    presence_of: str | None = None
    exclude_connections: frozenset[str] = frozenset()


class Event:
    """One event as Stream would send it, plus who should get it over the WebSocket.

    ``payload`` is what goes over the wire (and what a webhook would POST). It may be given as a
    function, built on first use: a ``notification.message_new`` carries the whole channel with its
    members, and nobody may be there to receive it. With ``unread_totals`` each recipient's own
    ``total_unread_count``/``unread_count``/``unread_channels`` are added to its copy.
    """

    def __init__(
        self,
        payload: dict[str, Any] | Callable[[], dict[str, Any]],
        audience: Audience | None = None,
        unread_totals: bool = False,
        *,
        type: str | None = None,
    ) -> None:
        self._payload = payload if isinstance(payload, dict) else None
        self._factory = None if isinstance(payload, dict) else payload
        self._type = type
        self.audience = audience or Audience()
        self.unread_totals = unread_totals

    @property
    def payload(self) -> dict[str, Any]:
        if self._payload is None:
            assert self._factory is not None
            self._payload = self._factory()
        return self._payload

    @property
    def type(self) -> str:
        if self._type is None:
            self._type = str(self.payload.get("type", ""))
        return self._type

    def __repr__(self) -> str:
        return f"<Event {self.type}>"


Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every event from now on; returns a function that
        unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:
                logger.exception("event bus subscriber %r failed on %s", callback, event.type)
