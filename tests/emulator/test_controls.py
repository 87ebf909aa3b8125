"""The /_emulator/ controls and their Python twins (log, reset, faults, rate limits); CORS."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from django_streaminbox.emulator import Emulator, Event

from .conftest import API, assert_stream_error


def test_requests_log_every_api_call_in_order(stream_emulator: Emulator, chat: StreamChat) -> None:
    chat.upsert_user({"id": "alice"})
    chat.query_users({"id": "alice"})
    with pytest.raises(StreamAPIException):
        chat.delete_user("ghost")
    log = requests.get(stream_emulator.url + "/_emulator/requests", timeout=5).json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/users", 201),
        ("GET", "/users", 200),
        ("DELETE", "/users/ghost", 404),
    ]
    assert log[0]["body"] == {"users": {"alice": {"id": "alice"}}}
    assert log[0]["operation"] == "UpdateUsers"
    assert log[0]["server_side"] is True
    assert "payload" in log[1]["query"]
    assert stream_emulator.requests() == log
    assert (
        requests.delete(stream_emulator.url + "/_emulator/requests", timeout=5).status_code == 200
    )
    assert stream_emulator.requests() == []
    chat.upsert_user({"id": "bob"})
    stream_emulator.clear_requests()
    assert stream_emulator.requests() == []


def test_http_reset_empties_everything(stream_emulator: Emulator, chat: StreamChat) -> None:
    chat.upsert_user({"id": "alice"})
    stream_emulator.set_faults(latency_ms=1)
    assert requests.post(stream_emulator.url + "/_emulator/reset", timeout=5).json() == {}
    assert stream_emulator.state()["users"] == []
    assert stream_emulator.requests() == []
    faults = requests.get(stream_emulator.url + "/_emulator/faults", timeout=5).json()["faults"]
    assert faults["latency_ms"] == 0


def test_state_dump(stream_emulator: Emulator, chat: StreamChat) -> None:
    chat.upsert_user({"id": "alice"})
    dump = requests.get(stream_emulator.url + "/_emulator/state", timeout=5).json()
    assert [u["id"] for u in dump["users"]] == ["alice"]


def test_injected_failures(stream_emulator: Emulator, chat: StreamChat) -> None:
    response = requests.post(
        stream_emulator.url + "/_emulator/faults", json={"status": 503}, timeout=5
    )
    assert response.json()["faults"]["error_rate"] == 1.0
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_user({"id": "alice"})
    assert (caught.value.status_code, caught.value.error_code) == (503, -1)
    stream_emulator.set_faults(status=429)
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_user({"id": "alice"})
    assert (caught.value.status_code, caught.value.error_code) == (429, 9)
    stream_emulator.set_faults(status=400)
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_user({"id": "alice"})
    assert caught.value.error_code == 4
    requests.post(stream_emulator.url + "/_emulator/faults", json={}, timeout=5)
    assert chat.upsert_user({"id": "alice"})
    assert stream_emulator.state()["users"][0]["id"] == "alice"


def test_error_rate_is_random_but_seedable(stream_emulator: Emulator, chat: StreamChat) -> None:
    def outcomes() -> list[bool]:
        stream_emulator.set_faults(error_rate=0.5, seed=7)
        results = []
        for index in range(20):
            try:
                chat.upsert_user({"id": f"u{index}"})
                results.append(True)
            except StreamAPIException as error:
                assert error.status_code == 500
                results.append(False)
        return results

    first = outcomes()
    assert 0 < sum(first) < 20
    assert outcomes() == first


def test_latency(stream_emulator: Emulator, chat: StreamChat) -> None:
    stream_emulator.set_faults(latency_ms=150)
    started = time.perf_counter()
    chat.upsert_user({"id": "alice"})
    assert time.perf_counter() - started >= 0.15
    stream_emulator.clear_faults()


def test_down_drops_connections_but_controls_still_answer(
    stream_emulator: Emulator, chat: StreamChat
) -> None:
    stream_emulator.set_faults(down=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        chat.upsert_user({"id": "alice"})
    assert requests.get(stream_emulator.url + "/_emulator/faults", timeout=5).json()["faults"][
        "down"
    ]
    requests.delete(stream_emulator.url + "/_emulator/faults", timeout=5)
    assert chat.upsert_user({"id": "alice"})


@pytest.mark.parametrize(
    "spec",
    [
        {"latency_ms": -1},
        {"latency_ms": "slow"},
        {"error_rate": 2},
        {"status": 200},
        {"status": True},
        {"down": "yes"},
        {"rate_limit": 5},
        {"rate_limit": {"UpdateUsers": -1}},
        {"rate_limit": {"window_seconds": 0}},
        {"seed": "x"},
        {"explode": True},
        [],
    ],
)
def test_bad_fault_specs_are_400_and_change_nothing(stream_emulator: Emulator, spec: Any) -> None:
    stream_emulator.set_faults(latency_ms=5)
    response = requests.post(stream_emulator.url + "/_emulator/faults", json=spec, timeout=5)
    assert_stream_error(response, 400, 4)
    faults = requests.get(stream_emulator.url + "/_emulator/faults", timeout=5).json()["faults"]
    assert faults["latency_ms"] == 5
    broken = requests.post(stream_emulator.url + "/_emulator/faults", data="{", timeout=5)
    assert_stream_error(broken, 400, 4)


def test_rate_limit_fault_answers_429_code_9(stream_emulator: Emulator, chat: StreamChat) -> None:
    stream_emulator.set_faults(rate_limit={"UpdateUsers": 2})
    first = chat.upsert_user({"id": "a"}).rate_limit()
    assert first is not None and (first.limit, first.remaining) == (2, 1)
    chat.upsert_user({"id": "b"})
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_user({"id": "c"})
    assert (caught.value.status_code, caught.value.error_code) == (429, 9)
    assert [u["id"] for u in stream_emulator.state()["users"]] == ["a", "b"]
    assert chat.query_users({}).rate_limit() is not None


def test_rate_limit_window_resets(stream_emulator: Emulator, chat: StreamChat) -> None:
    stream_emulator.set_faults(rate_limit={"*": 1, "window_seconds": 0.2})
    chat.upsert_user({"id": "a"})
    with pytest.raises(StreamAPIException):
        chat.upsert_user({"id": "b"})
    time.sleep(0.25)
    chat.upsert_user({"id": "b"})


def test_enforced_stream_limits(chat: StreamChat) -> None:
    with Emulator(chat.api_key, chat.api_secret, enforce_rate_limits=True) as emulator:
        client = StreamChat(chat.api_key, chat.api_secret, base_url=emulator.url)
        response = client.upsert_user({"id": "a"})
        limit = response.rate_limit()
        assert limit is not None and limit.limit == 300
        emulator.emulation.rate_limiter._windows["UpdateUsers"].count = 300
        with pytest.raises(StreamAPIException) as caught:
            client.upsert_user({"id": "b"})
        assert caught.value.error_code == 9


def test_get_rate_limits(chat: StreamChat) -> None:
    chat.upsert_user({"id": "a"})
    everything = chat.get_rate_limits()
    assert set(everything) >= {"server_side", "android", "ios", "web"}
    assert everything["server_side"]["UpdateUsers"]["remaining"] == 299
    only = chat.get_rate_limits(server_side=True, endpoints=["UpdateUsers", "QueryUsers"])
    assert set(only) - {"duration"} == {"server_side"}
    assert set(only["server_side"]) == {"UpdateUsers", "QueryUsers"}


def test_app_settings(chat: StreamChat, api: API) -> None:
    app = chat.get_app_settings()["app"]
    assert app["file_upload_config"] == {} and app["image_upload_config"] == {}
    chat.update_app_settings(
        webhook_url="http://127.0.0.1:9/hook",
        event_hooks=[
            {
                "hook_type": "webhook",
                "enabled": True,
                "webhook_url": "http://127.0.0.1:9/h",
                "event_types": [],
            }
        ],
    )
    assert chat.get_app_settings()["app"]["webhook_url"] == "http://127.0.0.1:9/hook"
    for bad in ({"nonsense": 1}, {"webhook_url": 5}, {"disable_auth_checks": 1}):
        with pytest.raises(StreamAPIException):
            chat.update_app_settings(**bad)
    assert_stream_error(api.call("PATCH", "/app", {"webhook_url": ""}, user="alice"), 403, 17)


def test_hi_answers_json(api: API) -> None:
    response = api.call("GET", "/hi")
    assert response.status_code == 200 and "duration" in response.json()


def test_cors_preflight_and_headers(stream_emulator: Emulator, chat: StreamChat) -> None:
    preflight = requests.options(
        stream_emulator.url + "/channels",
        headers={
            "Origin": "http://localhost:8000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,stream-auth-type,x-client-request-id",
        },
        timeout=5,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-client-request-id" in preflight.headers["Access-Control-Allow-Headers"]
    assert "PATCH" in preflight.headers["Access-Control-Allow-Methods"]
    plain = requests.options(stream_emulator.url + "/users", timeout=5)
    assert "stream-auth-type" in plain.headers["Access-Control-Allow-Headers"]
    response = chat.upsert_user({"id": "a"})
    headers = response.headers()
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "x-ratelimit-remaining" in headers["Access-Control-Expose-Headers"]


def test_bus_subscribers_see_every_event(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    seen: list[Event] = []
    unsubscribe = stream_emulator.bus.subscribe(seen.append)

    def broken(event: Event) -> None:
        raise RuntimeError("a bad subscriber does not stop the others")

    stop_broken = stream_emulator.bus.subscribe(broken)
    try:
        general.send_message({"text": "hello"}, "alice")
        general.mark_read("bob")
    finally:
        unsubscribe()
        stop_broken()
        stop_broken()
    kinds = [event.type for event in seen]
    assert kinds[:2] == ["message.new", "notification.message_new"]
    assert "message.read" in kinds and "notification.mark_read" in kinds
    assert seen[0].payload["message"]["text"] == "hello"
    assert repr(seen[0]) == "<Event message.new>"
    general.send_message({"text": "unseen"}, "alice")
    assert len(seen) == len(kinds)
