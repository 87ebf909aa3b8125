"""Test and benchmark controls, under ``/_emulator/`` only (a prefix the real API never uses).

- ``GET /_emulator/requests`` -> ``{"requests": [...]}``: every API call in order; ``DELETE``
clears it.
- ``POST /_emulator/reset`` -> empty state, request log, faults and rate-limit counters.
- ``POST /_emulator/faults`` with ``{"latency_ms", "error_rate", "status", "down", "rate_limit",
"seed"}``
  (``{}`` clears them); ``GET`` shows the current ones.
- ``GET /_emulator/state`` -> the whole state as JSON (what ``--data`` saves), for debugging.
- ``GET /_emulator/webhooks`` -> ``{"webhooks": [...]}``: the latest outgoing webhooks and their
  attempts (``emulator/webhooks.py``).

No credentials are needed: the emulator is meant for loopback use.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import StreamError, error_body

CONTROL_PREFIX = "/_emulator/"


def _emulation(request: web.Request) -> Any:
    from .app import EMULATION

    return request.app[EMULATION]


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    from .app import json_response

    return json_response(body, status)


async def list_requests(request: web.Request) -> web.Response:
    return _json({"requests": list(_emulation(request).request_log)})


async def clear_requests(request: web.Request) -> web.Response:
    _emulation(request).request_log.clear()
    return _json({})


async def reset(request: web.Request) -> web.Response:
    _emulation(request).reset()
    return _json({})


async def get_faults(request: web.Request) -> web.Response:
    return _json({"faults": _emulation(request).faults.as_json()})


async def set_faults(request: web.Request) -> web.Response:
    try:
        spec = json.loads(await request.read() or b"{}")
        _emulation(request).faults.configure(spec)
    except ValueError:
        return _json(error_body(4, "faults body is not valid JSON", 400), 400)
    except StreamError as error:
        return _json(error.body("SetFaults"), error.status)
    return _json({"faults": _emulation(request).faults.as_json()})


async def clear_faults(request: web.Request) -> web.Response:
    _emulation(request).faults.clear()
    return _json({})


async def dump_state(request: web.Request) -> web.Response:
    return _json(_emulation(request).state.to_json())


async def list_webhooks(request: web.Request) -> web.Response:
    deliveries = _emulation(request).webhooks.deliveries
    return _json({"webhooks": [delivery.as_dict() for delivery in deliveries]})


def add_control_routes(app: web.Application) -> None:
    app.router.add_get(CONTROL_PREFIX + "requests", list_requests)
    app.router.add_get(CONTROL_PREFIX + "webhooks", list_webhooks)
    app.router.add_delete(CONTROL_PREFIX + "requests", clear_requests)
    app.router.add_post(CONTROL_PREFIX + "reset", reset)
    app.router.add_get(CONTROL_PREFIX + "faults", get_faults)
    app.router.add_post(CONTROL_PREFIX + "faults", set_faults)
    app.router.add_delete(CONTROL_PREFIX + "faults", clear_faults)
    app.router.add_get(CONTROL_PREFIX + "state", dump_state)
