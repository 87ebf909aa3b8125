"""A local Stream Chat server that the official Python and JavaScript SDKs use unchanged.

Start it from Python with :class:`Emulator`, from a shell with ``python -m
django_streaminbox.emulator``,
or from Django with ``manage.py streaminbox_emulator``; in pytest use the ``stream_emulator``
fixture
(``django_streaminbox.testing``). Request-handling code never imports this package.
"""

from __future__ import annotations

from .events import Audience, Event, EventBus
from .server import DEFAULT_API_KEY, DEFAULT_API_SECRET, Emulator

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET", "Audience", "Emulator", "Event", "EventBus"]
