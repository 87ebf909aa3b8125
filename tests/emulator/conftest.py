"""Helpers for the emulator tests: the real Python SDK, raw HTTP and raw WebSocket clients."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
import requests
from stream_chat import StreamChat

from django_streaminbox.emulator import Emulator


@pytest.fixture
def chat(stream_emulator: Emulator) -> StreamChat:
    """The official Python SDK, server-side, pointed at the emulator."""
    return StreamChat(
        stream_emulator.api_key, stream_emulator.api_secret, base_url=stream_emulator.url
    )


@pytest.fixture
def users(chat: StreamChat) -> list[str]:
    chat.upsert_users(
        [
            {"id": "alice", "name": "Alice"},
            {"id": "bob", "name": "Bob"},
            {"id": "carol", "name": "Carol"},
        ]
    )
    return ["alice", "bob", "carol"]


@pytest.fixture
def general(chat: StreamChat, users: list[str]) -> Any:
    channel = chat.channel("messaging", "general", {"members": ["alice", "bob"], "name": "General"})
    channel.create("alice")
    return channel


class API:
    """Raw HTTP against the emulator, for what the SDK would never send."""

    def __init__(self, emulator: Emulator, chat: StreamChat) -> None:
        self.emulator = emulator
        self.chat = chat

    def token(self, user_id: str | None = None, **claims: Any) -> str:
        if user_id is None:
            return str(self.chat.auth_token)
        return str(self.chat.create_token(user_id, **claims))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | str | None = None,
        user: str | None = None,
        token: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        query = {"api_key": self.emulator.api_key, **(params or {})}
        sent = {
            "Authorization": token or self.token(user),
            "stream-auth-type": "jwt",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return requests.request(
            method, self.emulator.url + path, params=query, data=data, headers=sent, timeout=5
        )


@pytest.fixture
def api(stream_emulator: Emulator, chat: StreamChat) -> API:
    return API(stream_emulator, chat)


def assert_stream_error(response: requests.Response, status: int, code: int) -> dict[str, Any]:
    """Stream's error body: every required key, the right status and code, JSON content type."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["StatusCode"] == status
    assert set(body) >= {"code", "message", "StatusCode", "duration", "more_info", "details"}
    return dict(body)


# -- WebSocket ----------------------------------------------------------------------------


def connect_url(emulator: Emulator, token: str, user_id: str, **details: Any) -> str:
    query = {
        "json": json.dumps(
            {
                "user_id": user_id,
                "user_details": {"id": user_id, **details},
                "client_request_id": "test",
            }
        ),
        "api_key": emulator.api_key,
        "authorization": token,
        "stream-auth-type": "jwt",
        "X-Stream-Client": "stream-chat-js-v9.53.0-node|client_bundle=node-cjs",
    }
    return emulator.url.replace("http", "ws", 1) + "/connect?" + urllib.parse.urlencode(query)


class Socket:
    """One WebSocket connection as the JS SDK opens it, with helpers to wait for events."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, first: dict[str, Any]) -> None:
        self.ws = ws
        self.first = first
        self.connection_id: str = first.get("connection_id", "")
        self.seen: list[dict[str, Any]] = []

    async def next(self, timeout: float = 2.0) -> dict[str, Any]:
        message = await self.ws.receive(timeout=timeout)
        assert message.type == aiohttp.WSMsgType.TEXT, message
        event: dict[str, Any] = json.loads(message.data)
        self.seen.append(event)
        return event

    async def wait_for(
        self,
        kind: str,
        timeout: float = 2.0,
        where: Callable[[dict[str, Any]], bool] = lambda e: True,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no {kind} within {timeout}s; saw {[e['type'] for e in self.seen]}"
                )
            event = await self.next(remaining)
            if event.get("type") == kind and where(event):
                return event

    async def quiet(self, kind: str, seconds: float = 0.3) -> None:
        """Assert that no ``kind`` event arrives within ``seconds``."""
        try:
            await self.wait_for(kind, seconds)
        except (AssertionError, asyncio.TimeoutError):
            return
        raise AssertionError(f"unexpected {kind}")


class Sockets:
    """Opens sockets (and user-token REST calls with their connection id) on one aiohttp session."""

    def __init__(
        self, emulator: Emulator, chat: StreamChat, session: aiohttp.ClientSession
    ) -> None:
        self.emulator = emulator
        self.chat = chat
        self.session = session

    async def connect(self, user_id: str, token: str | None = None, **details: Any) -> Socket:
        token = token if token is not None else str(self.chat.create_token(user_id))
        ws = await self.session.ws_connect(connect_url(self.emulator, token, user_id, **details))
        message = await ws.receive(timeout=2)
        return Socket(ws, json.loads(message.data))

    async def rest(
        self, socket: Socket | None, user_id: str, method: str, path: str, body: Any = None
    ) -> tuple[int, dict[str, Any]]:
        params = {"api_key": self.emulator.api_key, "user_id": user_id}
        if socket is not None:
            params["connection_id"] = socket.connection_id
        headers = {"Authorization": str(self.chat.create_token(user_id)), "stream-auth-type": "jwt"}
        async with self.session.request(
            method, self.emulator.url + path, params=params, json=body, headers=headers
        ) as response:
            return response.status, await response.json()

    async def watch(self, socket: Socket, user_id: str, cid: str, **options: Any) -> dict[str, Any]:
        kind, cid_id = cid.split(":")
        status, body = await self.rest(
            socket,
            user_id,
            "POST",
            f"/channels/{kind}/{cid_id}/query",
            {"data": {}, "state": True, "watch": True, **options},
        )
        assert status == 201, body
        return body


def run_ws(emulator: Emulator, chat: StreamChat, scenario: Callable[[Sockets], Any]) -> None:
    """Run an async scenario with a fresh aiohttp session (no async test plugin needed)."""

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            await scenario(Sockets(emulator, chat, session))

    asyncio.run(main())
