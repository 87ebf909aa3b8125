"""``manage.py streaminbox_emulator``: run the local Stream emulator with this site's credentials.

Key and secret default to ``STREAMINBOX_API_KEY``/``STREAMINBOX_API_SECRET``, the port to the one in
``STREAMINBOX_BASE_URL`` when that points at this machine (else 8765), so the site and the emulator
agree without repeating anything.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from django_streaminbox.emulator import cli
from django_streaminbox.emulator.server import DEFAULT_API_KEY, DEFAULT_API_SECRET


def _port_from_settings() -> int:
    parts = urlsplit(getattr(settings, "STREAMINBOX_BASE_URL", "") or "")
    if parts.hostname in ("127.0.0.1", "localhost") and parts.port:
        return parts.port
    return 8765


class Command(BaseCommand):
    help = (
        "Run the local Stream Chat emulator (REST + WebSocket) with the STREAMINBOX_* credentials."
    )

    #: Set by tests to stop the server from another thread.
    stop_event: threading.Event | None = None

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        cli.add_arguments(
            parser,
            api_key=getattr(settings, "STREAMINBOX_API_KEY", "") or DEFAULT_API_KEY,
            api_secret=getattr(settings, "STREAMINBOX_API_SECRET", "") or DEFAULT_API_SECRET,
            port=_port_from_settings(),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cli.serve(argparse.Namespace(**options), self.stdout, self.stop_event)
        except (OSError, ValueError) as error:
            raise CommandError(f"Stream emulator: {error}") from error
