"""The aiohttp application: routing and everything every request goes through.

In order: CORS preflight, injected faults (outage, latency, random failures), API key and JWT, JSON
body
(must be an object; too big is 413/22), rate limit (lowercase ``x-ratelimit-*`` headers, 429/9), the
handler, then the response: JSON always (``duration`` added), 201 for POST as the real API, CORS
headers,
one entry in the request log. Any :class:`StreamError` becomes Stream's error body; anything
unexpected
becomes a Stream-style 500 (code -1) rather than an HTML page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from . import appinfo, channels, messages, users  # noqa: F401  (they register their routes)
from .auth import authenticate, check_api_key
from .context import Call, Emulation
from .controls import CONTROL_PREFIX, add_control_routes
from .errors import (
    INPUT,
    INTERNAL,
    PAYLOAD_TOO_BIG,
    RATE_LIMITED,
    StreamError,
    error_body,
)
from .routes import ROUTES, Route
from .state import iso, now
from .websocket import connect

logger = logging.getLogger(__name__)
EMULATION = web.AppKey("emulation", Emulation)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": (
        "authorization, stream-auth-type, x-stream-client, x-client-request-id, content-type, "
        "x-stream-ext, cache-control"
    ),
    "Access-Control-Expose-Headers": "x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset",
    "Access-Control-Max-Age": "86400",
}


def duration(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.2f}ms"


def json_response(
    body: dict[str, Any], status: int, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(body, separators=(",", ":")),
        status=status,
        content_type="application/json",
        headers={**CORS_HEADERS, **(headers or {})},
    )


Next = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def outer(request: web.Request, handler: Next) -> web.StreamResponse:
    """CORS preflight, outage fault, unknown routes and the last-resort 500, as JSON."""
    started = time.perf_counter()
    emulation = request.app[EMULATION]
    is_control = request.path.startswith(CONTROL_PREFIX)
    if request.method == "OPTIONS":
        requested = request.headers.get("Access-Control-Request-Headers")
        headers = {"Access-Control-Allow-Headers": requested} if requested else {}
        return json_response({}, 200, headers)
    if emulation.faults.down and not is_control:
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError
    try:
        return await handler(request)
    except web.HTTPException as error:
        code = 16 if error.status == 404 else INPUT
        body = error_body(
            code, f"{request.method} {request.path[:200]}: {error.reason}", error.status
        )
        body["duration"] = duration(started)
        return json_response(body, error.status)
    except Exception:
        logger.exception("emulator: unexpected error on %s %s", request.method, request.path)
        body = error_body(INTERNAL, "internal error in the Stream emulator", 500, duration(started))
        return json_response(body, 500)


def endpoint(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        emulation = request.app[EMULATION]
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "status": 0,
            "query": dict(request.query),
            "body": None,
            "operation": route.operation,
            "user_id": None,
            "server_side": False,
            "time": iso(now()),
        }
        headers: dict[str, str] = {}
        try:
            body = await _read_body(request)
            entry["body"] = body if request.method != "GET" else None
            await _apply_faults(emulation)
            check_api_key(request.query.get("api_key"), emulation.config.api_key)
            identity = authenticate(
                request.headers.get("Authorization"),
                request.headers.get("stream-auth-type"),
                emulation.config.api_secret,
                allow_dev_tokens=emulation.config.allow_dev_tokens,
            )
            entry["server_side"] = identity.server
            entry["user_id"] = identity.user_id
            emulation.check_revocation(identity)
            verdict = emulation.rate_limiter.hit(
                route.operation,
                emulation.faults.rate_limit,
                emulation.faults.rate_limit_window,
                emulation.config.enforce_rate_limits,
            )
            headers = verdict.headers()
            if not verdict.allowed:
                raise StreamError(
                    RATE_LIMITED, "Too many requests, check response headers for more info"
                )
            call = Call(
                emulation=emulation,
                identity=identity,
                body=body,
                query=dict(request.query),
                params=dict(request.match_info),
                connection_id=request.query.get("connection_id"),
            )
            result = await route.handler(call)
            status = 201 if request.method == "POST" else 200
            result["duration"] = duration(started)
            if request.method != "GET":
                emulation.dirty = True
        except StreamError as error:
            status = error.status
            result = error.body(route.operation, duration(started))
        entry["status"] = status
        entry["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        emulation.request_log.append(entry)
        return json_response(result, status, headers)

    return handle


async def _read_body(request: web.Request) -> dict[str, Any]:
    """The JSON object body; empty means ``{}``. Anything else is Stream's 400 (or 413 if too
    big)."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise StreamError(PAYLOAD_TOO_BIG, "request body is too big") from None
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise StreamError(INPUT, "invalid request body: the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise StreamError(INPUT, "invalid request body: the body should be a JSON object")
    return body


async def _apply_faults(emulation: Emulation) -> None:
    faults = emulation.faults
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.should_fail():
        code = RATE_LIMITED if faults.status == 429 else INTERNAL if faults.status >= 500 else INPUT
        raise StreamError(code, f"injected fault (HTTP {faults.status})", status=faults.status)


def build_app(emulation: Emulation) -> web.Application:
    app = web.Application(middlewares=[outer], client_max_size=emulation.config.max_body_size)
    app[EMULATION] = emulation
    app.router.add_get("/connect", connect)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, endpoint(route))
    add_control_routes(app)
    return app
