from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def demo(request: HttpRequest) -> dict[str, Any]:
    """Tells the footer whether the site talks to the local emulator or to a real Stream app."""
    return {"on_emulator": getattr(settings, "ON_EMULATOR", False)}
