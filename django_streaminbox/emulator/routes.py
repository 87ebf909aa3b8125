"""The table of Stream API endpoints the emulator answers, filled by ``@route`` in each module.

Each entry names Stream's operation (``UpdateUsers``, ``GetOrCreateChannel``...): it prefixes error
messages (``UpdateUsers failed with error: "…"``) and keys the per-endpoint rate limits, as on the
real
service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .context import Handler


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation: str
    handler: Handler


ROUTES: list[Route] = []


def route(method: str, path: str, operation: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, path, operation, handler))
        return handler

    return register
