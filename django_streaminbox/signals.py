"""The package's own signals. Plain ``Signal()``s: connect with ``@receiver(signal)``.

``stream_event`` is sent by ``WebhookView`` for every verified webhook Stream delivers, with
``event`` (a :class:`~django_streaminbox.events.StreamEvent`) and ``request`` (the webhook request).
Receivers run inside that request, before Stream gets its answer: keep them quick (hand slow work
to a task queue) and idempotent. A receiver that raises makes the view answer 500, and Stream
retries the same delivery (same ``event.webhook_id``), up to three attempts in all.
"""

from __future__ import annotations

from django.dispatch import Signal

from .events import EventType, StreamEvent

__all__ = ["EventType", "StreamEvent", "stream_event", "user_sync_failed", "user_synced"]

stream_event = Signal()

#: Sent after Stream accepted a user's data (``sync.sync_users``), once per user, with ``user``,
#: ``user_id`` (their Stream id) and ``data`` (exactly what Stream was sent). ``sender``: the
#: user model.
user_synced = Signal()

#: Sent when Stream could not be told about a user, once per user, with ``user`` (``None`` when
#: only the id is known, as after a delete), ``user_id``, ``action`` (``"upsert"``,
#: ``"deactivate"``, ``"delete"`` or ``"hard_delete"``) and ``error`` (a
#: :class:`~django_streaminbox.exceptions.StreamError`). The save that caused it has already
#: succeeded; the user is sent again by the next sync.
user_sync_failed = Signal()
