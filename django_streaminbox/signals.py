"""The package's own signals. Plain ``Signal()``s: connect with ``@receiver(signal)``.

``stream_event`` is sent by ``WebhookView`` for every verified webhook Stream delivers, with
``event`` (a :class:`~django_streaminbox.events.StreamEvent`) and ``request`` (the webhook request).
Receivers run inside that request, before Stream gets its answer: keep them quick (hand slow work to
a task queue) and idempotent. A receiver that raises makes the view answer 500, and Stream retries the
same delivery (same ``event.webhook_id``) up to three times in all.
"""

from __future__ import annotations

from django.dispatch import Signal

from .events import EventType, StreamEvent

__all__ = ["EventType", "StreamEvent", "stream_event"]

stream_event = Signal()
