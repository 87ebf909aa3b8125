"""Load, bounded in time and count, on loopback only.

The token endpoint under 100 concurrent clients for 30 seconds (``RESILIENCE_LOAD_SECONDS``
shortens it for local runs; CI and the README's command use the issue's 30), and the emulator
with 500 WebSocket clients connected at once, each receiving what is sent to it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import threading
import time
from typing import Any

import aiohttp
import pytest
import requests
from django.conf import settings as django_settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from django_streaminbox.client import create_token, get_client

from .conftest import make_user

LOAD_SECONDS = float(os.environ.get("RESILIENCE_LOAD_SECONDS", "30"))
TOKEN_CLIENTS = 100
WEBSOCKET_CLIENTS = 500


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_token_endpoint_under_100_concurrent_clients(
    stream_emulator: Any, live_server: Any
) -> None:
    user = make_user(full_name="Busy Person")
    login = Client()
    login.force_login(user)
    cookies = {"sessionid": login.cookies["sessionid"].value, "csrftoken": _get_new_csrf_string()}
    url = f"{live_server.url}/messages/token/"
    clock: list[float] = []
    start = threading.Barrier(TOKEN_CLIENTS, action=lambda: clock.append(time.monotonic()))
    connecting = threading.Semaphore(8)
    sessions: list[requests.Session] = []

    def client(number: int) -> tuple[int, list[str]]:
        session = requests.Session()
        sessions.append(session)
        # Django's test server listens with a backlog of 10, which 100 simultaneous connects
        # overflow (the kernel then resets some): each client opens its keep-alive connection
        # before the clock starts, a few at a time, and only connection attempts are retried.
        session.mount("http://", HTTPAdapter(max_retries=Retry(total=10, connect=10, read=0)))
        done, errors = 0, []
        with connecting:  # open the keep-alive connection a few at a time (see above)
            session.post(url, cookies=cookies, headers={"X-CSRFToken": cookies["csrftoken"]})
        start.wait()
        stop_at = clock[0] + LOAD_SECONDS
        while time.monotonic() < stop_at:
            try:
                response = session.post(
                    url, cookies=cookies, headers={"X-CSRFToken": cookies["csrftoken"]}, timeout=30
                )
            except requests.RequestException as exc:
                errors.append(repr(exc))
                continue
            if response.status_code != 200 or response.json()["user_id"] != str(user.pk):
                errors.append(f"{response.status_code} {response.text[:100]}")
            done += 1
        return done, errors

    try:
        with concurrent.futures.ThreadPoolExecutor(TOKEN_CLIENTS) as pool:
            results = list(pool.map(client, range(TOKEN_CLIENTS)))
    finally:
        for session in sessions:
            session.close()
        for thread in threading.enumerate():
            if "process_request_thread" in thread.name:
                thread.join(5)
    errors = [error for _done, found in results for error in found]
    assert errors == [], f"{len(errors)} errors, e.g. {errors[:3]}"
    assert all(done > 0 for done, _ in results), "every client was served"
    print(f"\n{sum(done for done, _ in results)} token requests in {LOAD_SECONDS:.0f}s, 0 errors")


async def _open_sockets(url: str, ids: list[str], texts: dict[str, str]) -> dict[str, Any]:
    """Connect one socket per user, wait for each one's ``connection.ok`` (``health.check`` with
    ``me``), then collect the ``message.new`` / ``notification.message_new`` texts they get."""
    ws_url = url.replace("http", "ws", 1) + "/connect"
    received: dict[str, set[str]] = {user_id: set() for user_id in ids}
    ready: dict[str, bool] = {}
    all_ready = asyncio.Event()
    finished = asyncio.Event()

    async def one(session: aiohttp.ClientSession, user_id: str) -> None:
        token, _ = create_token(user_id, ttl=600)
        params = {
            "json": json.dumps({"user_id": user_id, "user_details": {"id": user_id}}),
            "api_key": django_settings.STREAMINBOX_API_KEY,
            "authorization": token,
            "stream-auth-type": "jwt",
        }
        async with session.ws_connect(ws_url, params=params, heartbeat=None) as ws:
            async for frame in ws:
                event = json.loads(frame.data)
                if event.get("type") == "health.check" and event.get("me"):
                    ready[user_id] = True
                    if len(ready) == len(ids):
                        all_ready.set()
                elif event.get("type") in ("message.new", "notification.message_new"):
                    received[user_id].add(event["message"]["text"])
                    if all(texts[uid] in received[uid] for uid in texts):
                        finished.set()
                if finished.is_set():
                    break

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(one(session, user_id)) for user_id in ids]
        await asyncio.wait_for(all_ready.wait(), 60)
        connected = len(ready)
        await asyncio.get_running_loop().run_in_executor(None, _send_messages, texts)
        try:
            await asyncio.wait_for(finished.wait(), 60)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return {"connected": connected, "received": received}


def _send_messages(texts: dict[str, str]) -> None:
    """Server side: one message per recipient, each in the recipient's own pair channel."""
    client = get_client()
    for recipient, text in texts.items():
        sender = f"load-{int(recipient.split('-')[1]) - 1}"
        channel = client.channel("messaging", f"load-{sender}-{recipient}")
        channel.create(sender)
        channel.add_members([sender, recipient])
        channel.send_message({"text": text}, sender)


@pytest.mark.slow
def test_the_emulator_with_500_websocket_clients(stream_emulator: Any) -> None:
    ids = [f"load-{n}" for n in range(WEBSOCKET_CLIENTS)]
    client = get_client()
    for start in range(0, len(ids), 100):
        client.upsert_users([{"id": user_id} for user_id in ids[start : start + 100]])
    # Every odd user is sent one message by the user before them (250 channels).
    texts = {user_id: f"hello {user_id}" for user_id in ids[1::2]}
    result = asyncio.run(_open_sockets(stream_emulator.url, ids, texts))
    assert result["connected"] == WEBSOCKET_CLIENTS
    missing = [uid for uid, text in texts.items() if text not in result["received"][uid]]
    assert missing == [], f"{len(missing)} recipients got nothing, e.g. {missing[:5]}"
