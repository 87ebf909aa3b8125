"""Bad input of any kind is a Stream-style 4xx, changes nothing, and is never a 500."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from django_streaminbox.emulator import Emulator

from .conftest import API, assert_stream_error

WRITES = [
    ("POST", "/users"),
    ("PATCH", "/users"),
    ("POST", "/users/delete"),
    ("POST", "/users/deactivate"),
    ("POST", "/users/restore"),
    ("POST", "/users/alice/deactivate"),
    ("POST", "/users/alice/reactivate"),
    ("POST", "/channels"),
    ("POST", "/channels/messaging/query"),
    ("POST", "/channels/messaging/general/query"),
    ("POST", "/channels/messaging/general"),
    ("PATCH", "/channels/messaging/general"),
    ("POST", "/channels/messaging/general/message"),
    ("POST", "/channels/messaging/general/event"),
    ("POST", "/channels/messaging/general/read"),
    ("POST", "/channels/messaging/general/unread"),
    ("POST", "/channels/messaging/general/truncate"),
    ("POST", "/channels/read"),
    ("POST", "/channels/delivered"),
    ("POST", "/messages/m1"),
    ("PUT", "/messages/m1"),
    ("POST", "/unread_batch"),
    ("PATCH", "/app"),
]

BAD_BODIES = [
    b"{not json",
    b"[1, 2, 3]",
    b'"a string"',
    b"null",
    b"\xff\xfe\x00garbage",
]

WRONG_TYPES: list[dict[str, Any]] = [
    {"users": "alice"},
    {"users": [1]},
    {"users": {"alice": "x"}},
    {"user_ids": "alice"},
    {"user_ids": [1, 2]},
    {"filter_conditions": 5},
    {"data": "x", "add_members": "bob"},
    {"data": {"members": "alice", "created_by_id": "alice"}},
    {"data": {"members": [5], "created_by_id": "alice"}},
    {"data": {"created_by": "alice"}},
    {"add_members": [{"nope": 1}]},
    {"remove_members": "bob"},
    {"message": "hi"},
    {"message": {"text": ["x"]}},
    {"event": "typing.start"},
    {"event": {"type": 5}},
    {"message_id": 5, "user_id": "bob"},
    {"set": "x", "user": {"id": "alice"}},
    {"user": "alice"},
    {"user": {"id": 5}},
    {"user_id": ["alice"]},
    {"latest_delivered_messages": "x"},
    {"webhook_url": 5},
    {"event_hooks": ["x"]},
    {"state": "yes", "watch": 1},
    {"messages": {"limit": "all"}},
    {"members": {"limit": -1}},
]


@pytest.fixture
def world(api: API, general: Any) -> dict[str, Any]:
    general.send_message({"id": "m1", "text": "hello"}, "alice")
    return api.emulator.state()


def _unchanged(emulator: Emulator, before: dict[str, Any]) -> None:
    after = emulator.state()
    for key in ("users", "channels", "messages", "app_settings"):
        assert after[key] == before[key], key


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_malformed_json_is_400_and_changes_nothing(
    api: API, world: dict[str, Any], method: str, path: str
) -> None:
    for raw in BAD_BODIES:
        response = api.call(method, path, raw=raw)
        assert_stream_error(response, 400, 4)
        _unchanged(api.emulator, world)


@pytest.mark.parametrize(("method", "path"), WRITES)
def test_wrong_types_are_4xx_and_change_nothing(
    api: API, world: dict[str, Any], method: str, path: str
) -> None:
    before = world
    for body in WRONG_TYPES:
        response = api.call(method, path, body)
        assert response.headers["Content-Type"].startswith("application/json")
        assert response.status_code < 500, (body, response.text)
        if response.status_code >= 400:
            assert_stream_error(response, response.status_code, response.json()["code"])
            _unchanged(api.emulator, before)
        else:  # an ignored wrong field: the call itself was valid
            before = api.emulator.state()


def test_non_json_body_through_the_sdk_session_is_400(api: API, users: list[str]) -> None:
    response = api.call(
        "POST",
        "/users",
        raw="users=alice",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    body = assert_stream_error(response, 400, 4)
    assert body["message"].startswith("UpdateUsers failed with error:")


def test_oversized_bodies_are_413_code_22(api: API, users: list[str]) -> None:
    huge = b'{"users": {"a": {"id": "a", "bio": "' + b"x" * (1024 * 1024 + 10) + b'"}}}'
    assert_stream_error(api.call("POST", "/users", raw=huge), 413, 22)
    assert [u["id"] for u in api.emulator.state()["users"]] == ["alice", "bob", "carol"]


def test_unknown_paths_and_methods_answer_json(stream_emulator: Emulator) -> None:
    response = requests.get(stream_emulator.url + "/nothing/here", timeout=5)
    assert_stream_error(response, 404, 16)
    response = requests.put(stream_emulator.url + "/users", timeout=5)
    assert_stream_error(response, 405, 4)


@pytest.mark.parametrize(
    "path",
    [
        "/users/%7C/deactivate",
        "/channels/messaging/%3A/query",
        "/channels/mess%20aging/x/query",
        "/messages/%00",
        "/tasks/x%2Fy",
    ],
)
def test_odd_path_values_are_4xx(api: API, users: list[str], path: str) -> None:
    response = api.call("POST" if "query" in path or "deactivate" in path else "GET", path, {})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"] in (4, 16)


def test_no_request_got_a_500(api: API, world: dict[str, Any]) -> None:
    for method, path in WRITES:
        for body in WRONG_TYPES[:8]:
            api.call(method, path, body)
    statuses = {entry["status"] for entry in api.emulator.requests()}
    assert not [s for s in statuses if s >= 500]


def test_an_unexpected_error_is_a_stream_style_500(
    stream_emulator: Emulator, api: API, users: list[str]
) -> None:
    def explode() -> dict[str, Any]:
        raise RuntimeError("boom")

    stream_emulator.emulation.state.unread_totals = lambda user_id: explode()  # type: ignore
    try:
        response = api.call("GET", "/unread", params={"user_id": "alice"})
    finally:
        del stream_emulator.emulation.state.unread_totals
    body = assert_stream_error(response, 500, -1)
    assert "internal error" in body["message"]
