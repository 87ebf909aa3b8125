"""The floor for the emulator's figures: a bare aiohttp server doing the least the protocol needs.

``POST /users`` answers a fixed JSON body; ``GET /connect`` upgrades to a WebSocket and sends a
``health.check`` with a connection id; ``POST /channels/{type}/{id}/message`` sends ``message.new``
to every socket. No auth, no state, no validation: what aiohttp itself costs on this machine. Run
as ``python -m benchmarks.floor_server`` (prints ``... listening on http://HOST:PORT``)."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

from aiohttp import WSMsgType, web

SOCKETS: set[web.WebSocketResponse] = set()


async def users(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"users": body.get("users", {}), "duration": "0.00ms"}, status=201)


async def connect(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str(json.dumps({"type": "health.check", "connection_id": str(uuid.uuid4())}))
    SOCKETS.add(ws)
    try:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break
    finally:
        SOCKETS.discard(ws)
    return ws


async def query(request: web.Request) -> web.Response:
    return web.json_response({"duration": "0.00ms"}, status=201)


async def message(request: web.Request) -> web.Response:
    body = await request.json()
    event = json.dumps({"type": "message.new", "message": body["message"]})
    await asyncio.gather(*(ws.send_str(event) for ws in list(SOCKETS)), return_exceptions=True)
    return web.json_response({"message": body["message"], "duration": "0.00ms"}, status=201)


def main() -> None:
    app = web.Application()
    app.router.add_post("/users", users)
    app.router.add_get("/connect", connect)
    app.router.add_post("/channels/{type}/{id}/query", query)
    app.router.add_post("/channels/{type}/{id}/message", message)

    async def serve() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        print(f"Floor server listening on http://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
