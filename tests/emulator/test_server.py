"""The ``Emulator`` object: start-up, stop/start on one port, --data persistence, port rules."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from django_streaminbox.emulator import Emulator
from django_streaminbox.emulator.errors import StreamError

SECRET = "server-tests-secret-0123456789abcdefgh"


def test_context_manager_starts_and_stops(record_property: Any) -> None:
    started = time.perf_counter()
    with Emulator(api_key="k", api_secret=SECRET) as emulator:
        record_property("emulator_start_seconds", round(time.perf_counter() - started, 4))
        assert emulator.running
        assert emulator.url.startswith("http://127.0.0.1:") and not emulator.url.endswith("/")
        assert emulator.port != 0
        chat = StreamChat("k", SECRET, base_url=emulator.url)
        assert chat.upsert_user({"id": "alice"})["users"]["alice"]["id"] == "alice"
        url = emulator.url
    assert not emulator.running
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/hi", timeout=2)


def test_stop_and_start_keep_port_and_state() -> None:
    emulator = Emulator(api_key="k", api_secret=SECRET).start()
    try:
        assert emulator.start() is emulator  # already running: a no-op
        chat = StreamChat("k", SECRET, base_url=emulator.url)
        chat.upsert_user({"id": "alice"})
        port = emulator.port
        emulator.stop()
        emulator.stop()  # stopping twice is harmless
        assert emulator.state()["users"][0]["id"] == "alice"  # readable while stopped
        emulator.reset()
        emulator.start()
        assert emulator.port == port
        assert chat.query_users({})["users"] == []
        chat.upsert_user({"id": "bob"})
        emulator.stop()
        emulator.start()
        assert [u["id"] for u in chat.query_users({})["users"]] == ["bob"]
    finally:
        emulator.stop()


def test_port_3030_is_refused() -> None:
    with pytest.raises(ValueError, match="3030"):
        Emulator(port=3030)


def test_a_busy_port_raises_on_start() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        emulator = Emulator(api_secret=SECRET, port=port)
        with pytest.raises(OSError):
            emulator.start()
        assert not emulator.running


def test_data_file_keeps_state_across_restarts(tmp_path: Path) -> None:
    data = tmp_path / "stream.json"
    with Emulator(api_key="k", api_secret=SECRET, data_file=data) as emulator:
        chat = StreamChat("k", SECRET, base_url=emulator.url)
        chat.upsert_users([{"id": "alice", "name": "Alice"}, {"id": "bob"}])
        channel = chat.channel("messaging", "general", {"members": ["alice", "bob"], "topic": "t"})
        channel.create("alice")
        parent = channel.send_message({"text": "one"}, "alice")["message"]
        channel.send_message({"text": "reply", "parent_id": parent["id"]}, "bob")
        channel.send_message({"text": "two"}, "alice")
        chat.deactivate_user("bob")
        chat.update_app_settings(webhook_url="http://127.0.0.1:9/h")
    saved = json.loads(data.read_text())
    assert saved["version"] == 1
    with Emulator(api_key="k", api_secret=SECRET, data_file=data) as again:
        chat = StreamChat("k", SECRET, base_url=again.url)
        state = chat.channel("messaging", "general").query(user_id="bob")
        assert [m["text"] for m in state["messages"]] == ["one", "two"]
        assert state["messages"][0]["reply_count"] == 1
        assert state["channel"]["topic"] == "t"
        bob_read = next(r for r in state["read"] if r["user"]["id"] == "bob")
        assert bob_read["unread_messages"] == 1
        assert chat.query_users({"id": "alice"})["users"][0]["name"] == "Alice"
        assert chat.query_users({"id": "bob"}, include_deactivated_users=True)["users"][0][
            "deactivated_at"
        ]
        assert chat.get_app_settings()["app"]["webhook_url"] == "http://127.0.0.1:9/h"
        new = chat.channel("messaging", "general").send_message({"text": "three"}, "alice")
        assert new["message"]["id"] not in {m["id"] for m in state["messages"]}


def test_data_file_is_saved_while_running(tmp_path: Path) -> None:
    data = tmp_path / "stream.json"
    with Emulator(api_key="k", api_secret=SECRET, data_file=data) as emulator:
        StreamChat("k", SECRET, base_url=emulator.url).upsert_user({"id": "alice"})
        deadline = time.monotonic() + 3
        while not data.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [u["id"] for u in json.loads(data.read_text())["users"]] == ["alice"]


def test_a_broken_data_file_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "broken.json"
    data.write_text('{"users": [{"nope": 1}]}')
    with pytest.raises(ValueError, match="not a Stream emulator data file"):
        Emulator(data_file=data).start()


def test_state_calls_from_another_thread_run_on_the_loop() -> None:
    with Emulator(api_key="k", api_secret=SECRET) as emulator:
        emulator.set_faults(status=503)
        chat = StreamChat("k", SECRET, base_url=emulator.url)
        with pytest.raises(StreamAPIException):
            chat.upsert_user({"id": "a"})
        emulator.clear_faults()
        with pytest.raises(StreamError):
            emulator.set_faults(status=1)
