"""Channels through the real Python SDK: create, distinct, query, update, members, delete."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from django_streaminbox.emulator import Emulator

from .conftest import API, assert_stream_error


def test_create_returns_the_full_channel_state(chat: StreamChat, users: list[str]) -> None:
    channel = chat.channel("messaging", "general", {"members": ["alice", "bob"], "name": "General"})
    state = channel.create("alice")
    assert state.status_code() == 201
    data = state["channel"]
    assert (data["id"], data["type"], data["cid"], data["name"]) == (
        "general",
        "messaging",
        "messaging:general",
        "General",
    )
    assert data["created_by"]["id"] == "alice"
    assert data["member_count"] == 2
    assert data["config"]["read_events"] is True
    assert data["config"]["typing_events"] is True
    assert data["config"]["max_message_length"] == 5000
    assert {"read-events", "send-message"} <= set(data["own_capabilities"])
    assert state["messages"] == []
    assert [m["user"]["id"] for m in state["members"]] == ["alice", "bob"]
    assert all(entry["user"]["id"] and entry["last_read"] for entry in state["read"])
    assert state["membership"]["user_id"] == "alice"
    assert state["watcher_count"] == 0


def test_get_or_create_is_idempotent_and_data_is_create_only(
    chat: StreamChat, users: list[str]
) -> None:
    chat.channel("messaging", "general", {"members": ["alice"], "name": "First"}).create("alice")
    again = chat.channel("messaging", "general", {"members": ["bob"], "name": "Second"}).create(
        "bob"
    )
    assert again["channel"]["name"] == "First"
    assert [m["user_id"] for m in again["members"]] == ["alice"]
    assert again["channel"]["created_by"]["id"] == "alice"


def test_server_side_create_needs_created_by(api: API, users: list[str]) -> None:
    body = assert_stream_error(
        api.call("POST", "/channels/messaging/general/query", {"data": {"members": ["alice"]}}),
        400,
        4,
    )
    assert "either data.created_by or data.created_by_id must be provided" in body["message"]
    ok = api.call(
        "POST",
        "/channels/messaging/general/query",
        {"data": {"members": ["alice"], "created_by_id": "alice"}},
    )
    assert ok.status_code == 201


def test_unknown_member_is_refused_and_nothing_is_created(
    chat: StreamChat, users: list[str], stream_emulator: Emulator
) -> None:
    channel = chat.channel("messaging", "general", {"members": ["alice", "zed"]})
    with pytest.raises(StreamAPIException) as caught:
        channel.create("alice")
    assert (caught.value.status_code, caught.value.error_code) == (400, 4)
    assert "don't exist: [zed]" in caught.value.error_message
    assert stream_emulator.state()["channels"] == []


def test_unknown_creator_is_refused(chat: StreamChat, users: list[str]) -> None:
    with pytest.raises(StreamAPIException):
        chat.channel("messaging", "general", {"members": ["alice"]}).create("ghost")


def test_a_65_character_channel_id_is_400(chat: StreamChat, users: list[str]) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.channel("messaging", "x" * 65, {"members": ["alice"]}).create("alice")
    assert (caught.value.status_code, caught.value.error_code) == (400, 4)
    assert chat.channel("messaging", "x" * 64, {"members": ["alice"]}).create("alice")


@pytest.mark.parametrize("bad_id", ["a:b", "a b", "ça", "a.b", "a@b"])
def test_channel_id_characters(chat: StreamChat, users: list[str], bad_id: str) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.channel("messaging", bad_id, {"members": ["alice"]}).create("alice")
    assert caught.value.error_code == 4


def test_unknown_channel_type_is_refused(chat: StreamChat, users: list[str]) -> None:
    with pytest.raises(StreamAPIException):
        chat.channel("nosuchtype", "x", {"members": ["alice"]}).create("alice")
    with pytest.raises(StreamAPIException):
        chat.channel("bad:type", "x", {"members": ["alice"]}).create("alice")


def test_distinct_channel_from_members_alone(chat: StreamChat, users: list[str]) -> None:
    first = chat.channel("messaging", None, {"members": ["alice", "bob"]})
    first.create("alice")
    assert first.id is not None and first.id.startswith("!members-")
    assert len(first.id) == len("!members-") + 43
    second = chat.channel("messaging", None, {"members": ["bob", "alice"]})
    second.create("bob")
    assert second.id == first.id
    third = chat.channel("messaging", None, {"members": ["alice", "carol"]})
    third.create("alice")
    assert third.id != first.id
    with pytest.raises(StreamAPIException) as caught:
        first.add_members(["carol"])
    assert caught.value.error_code == 4
    first.remove_members(["bob"])


def test_distinct_channel_needs_members(chat: StreamChat, users: list[str]) -> None:
    with pytest.raises(StreamAPIException):
        chat.channel("messaging", None, {}).create("alice")


def test_member_objects_with_roles(chat: StreamChat, users: list[str]) -> None:
    state = chat.channel(
        "messaging",
        "roles",
        {
            "members": [
                {"user_id": "alice", "channel_role": "channel_moderator", "nick": "Al"},
                "bob",
            ]
        },
    ).create("alice")
    alice = state["members"][0]
    assert (alice["channel_role"], alice["nick"]) == ("channel_moderator", "Al")
    with pytest.raises(StreamAPIException):
        chat.channel(
            "messaging", "r2", {"members": [{"user_id": "alice", "channel_role": "king"}]}
        ).create("alice")


def test_more_than_100_members_in_one_request(chat: StreamChat) -> None:
    for start in (0, 100):
        chat.upsert_users([{"id": f"u{i}"} for i in range(start, start + 100)])
    with pytest.raises(StreamAPIException) as caught:
        chat.channel("messaging", "big", {"members": [f"u{i}" for i in range(101)]}).create("u0")
    assert caught.value.error_code == 4
    channel = chat.channel("messaging", "big", {"members": [f"u{i}" for i in range(100)]})
    channel.create("u0")
    response = channel.add_members([f"u{i}" for i in range(100, 200)])
    assert response["channel"]["member_count"] == 200


def test_query_channels_filters(chat: StreamChat, users: list[str]) -> None:
    chat.channel("messaging", "ab", {"members": ["alice", "bob"], "color": "red"}).create("alice")
    chat.channel("messaging", "bc", {"members": ["bob", "carol"]}).create("bob")
    chat.channel("team", "ac", {"members": ["alice", "carol"]}).create("carol")

    def cids(conditions: dict[str, Any], **options: Any) -> list[str]:
        found = chat.query_channels(conditions, {"cid": 1}, **options)["channels"]
        return [c["channel"]["cid"] for c in found]

    assert cids({"members": {"$in": ["alice"]}}) == ["messaging:ab", "team:ac"]
    assert cids({"members": {"$eq": ["carol", "bob"]}}) == ["messaging:bc"]
    assert cids({"type": "team"}) == ["team:ac"]
    assert cids({"cid": {"$in": ["messaging:ab", "team:ac"]}}) == ["messaging:ab", "team:ac"]
    assert cids({"id": {"$eq": "bc"}}) == ["messaging:bc"]
    assert cids({"color": "red"}) == ["messaging:ab"]
    assert cids({"type": "messaging", "members": {"$in": ["carol"]}}) == ["messaging:bc"]
    assert cids({"member_count": {"$gt": 1}}) == ["messaging:ab", "messaging:bc", "team:ac"]
    assert cids({"joined": True}, user_id="bob") == ["messaging:ab", "messaging:bc"]


def test_query_channels_sort_limit_offset_and_message_limit(
    chat: StreamChat, users: list[str]
) -> None:
    for name in ("one", "two", "three"):
        chat.channel("messaging", name, {"members": ["alice", "bob"]}).create("alice")
    for index in range(5):
        chat.channel("messaging", "one").send_message({"text": f"m{index}"}, "alice")
    chat.channel("messaging", "three").send_message({"text": "latest"}, "bob")

    def ids(sort: Any, **options: Any) -> list[str]:
        found = chat.query_channels({"members": {"$in": ["alice"]}}, sort, **options)["channels"]
        return [c["channel"]["id"] for c in found]

    assert ids({"last_message_at": -1}) == ["three", "one", "two"]
    assert ids({"created_at": 1}) == ["one", "two", "three"]
    assert ids({"created_at": -1}, limit=2) == ["three", "two"]
    assert ids({"created_at": -1}, limit=2, offset=2) == ["one"]
    found = chat.query_channels({"id": "one"}, message_limit=2)["channels"][0]
    assert [m["text"] for m in found["messages"]] == ["m3", "m4"]


def test_query_channels_reorders_after_a_new_message(chat: StreamChat, users: list[str]) -> None:
    for name in ("older", "newer"):
        chat.channel("messaging", name, {"members": ["alice"]}).create("alice")
        chat.channel("messaging", name).send_message({"text": name}, "alice")

    def order() -> list[str]:
        found = chat.query_channels({"members": {"$in": ["alice"]}}, {"last_message_at": -1})
        return [c["channel"]["id"] for c in found["channels"]]

    assert order() == ["newer", "older"]
    chat.channel("messaging", "older").send_message({"text": "bump"}, "alice")
    assert order() == ["older", "newer"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"filter_conditions": "x"},
        {"filter_conditions": {"type": {"$foo": 1}}},
        {"filter_conditions": {}, "limit": 31},
        {"filter_conditions": {}, "offset": 1001},
        {"filter_conditions": {}, "message_limit": 301},
        {"filter_conditions": {}, "limit": True},
        {"filter_conditions": {}, "watch": "maybe"},
        {"filter_conditions": {}, "sort": [{"field": "", "direction": 1}]},
    ],
)
def test_bad_query_channels_is_400(api: API, body: dict[str, Any]) -> None:
    assert_stream_error(api.call("POST", "/channels", body), 400, 4)


def test_user_tokens_see_only_their_channels(api: API, chat: StreamChat, users: list[str]) -> None:
    chat.channel("messaging", "ab", {"members": ["alice", "bob"]}).create("alice")
    chat.channel("messaging", "bc", {"members": ["bob", "carol"]}).create("bob")
    response = api.call("POST", "/channels", {"filter_conditions": {}}, user="alice")
    assert [c["channel"]["id"] for c in response.json()["channels"]] == ["ab"]
    assert_stream_error(
        api.call("POST", "/channels/messaging/bc/query", {"state": True}, user="alice"), 403, 17
    )
    assert_stream_error(
        api.call(
            "POST", "/channels/messaging/bc/message", {"message": {"text": "hi"}}, user="alice"
        ),
        403,
        17,
    )


def test_a_user_token_creates_channels_as_itself(
    api: API, chat: StreamChat, users: list[str]
) -> None:
    response = api.call(
        "POST",
        "/channels/messaging/mine/query",
        {"data": {"members": ["alice", "bob"], "created_by_id": "bob"}},
        user="alice",
    )
    assert response.status_code == 201
    assert response.json()["channel"]["created_by"]["id"] == "alice"


def test_update_add_and_remove_members(chat: StreamChat, general: Any) -> None:
    added = general.add_members(["carol"])
    assert [m["user_id"] for m in added["members"]] == ["alice", "bob", "carol"]
    assert added["channel"]["member_count"] == 3
    with pytest.raises(StreamAPIException) as caught:
        general.add_members(["nobody"])
    assert caught.value.error_code == 4
    removed = general.remove_members(["bob"])
    assert [m["user_id"] for m in removed["members"]] == ["alice", "carol"]
    updated = general.update(
        {"name": "Renamed", "topic": "x"}, {"text": "renamed it", "user_id": "alice"}
    )
    assert updated["channel"]["name"] == "Renamed"
    assert updated["message"]["text"] == "renamed it"
    partial = general.update_partial({"topic": "y"}, ["name"])
    assert partial["channel"]["topic"] == "y"
    assert "name" not in partial["channel"]
    with pytest.raises(StreamAPIException):
        general.update_partial({"cid": "x"})
    general.add_moderators(["carol"])
    assert general.query()["members"][1]["channel_role"] == "channel_moderator"
    general.demote_moderators(["carol"])
    with pytest.raises(StreamAPIException):
        general.add_moderators(["bob"])


def test_update_of_an_unknown_channel_is_404(chat: StreamChat, users: list[str]) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.channel("messaging", "nope").add_members(["alice"])
    assert (caught.value.status_code, caught.value.error_code) == (404, 16)


def test_members_only_updates_client_side(api: API, general: Any) -> None:
    assert_stream_error(
        api.call("POST", "/channels/messaging/general", {"add_members": ["carol"]}, user="carol"),
        403,
        17,
    )
    assert_stream_error(
        api.call("POST", "/channels/messaging/general", {"add_moderators": ["bob"]}, user="alice"),
        403,
        17,
    )


def test_delete_and_truncate(chat: StreamChat, general: Any, api: API) -> None:
    general.send_message({"text": "hello"}, "alice")
    truncated = general.truncate()
    assert truncated["channel"]["cid"] == "messaging:general"
    assert general.query()["messages"] == []
    assert_stream_error(api.call("DELETE", "/channels/messaging/general", user="bob"), 403, 17)
    assert general.delete()["channel"]["deleted_at"]
    assert chat.query_channels({"cid": "messaging:general"})["channels"] == []
    with pytest.raises(StreamAPIException):
        general.delete()


def test_query_members(chat: StreamChat, general: Any, api: API) -> None:
    def ids(conditions: dict[str, Any], sort: Any = None, **options: Any) -> list[str]:
        return [m["user_id"] for m in general.query_members(conditions, sort, **options)]

    assert ids({}) == ["alice", "bob"]
    assert ids({"name": {"$autocomplete": "bo"}}) == ["bob"]
    assert ids({"id": {"$in": ["alice"]}}) == ["alice"]
    assert ids({"channel_role": "channel_member"}, {"user_id": -1}) == ["bob", "alice"]
    assert ids({}, limit=1, offset=1) == ["bob"]
    distinct = chat.channel("messaging", None, {"members": ["alice", "carol"]})
    distinct.create("alice")
    found = chat.get(
        "members",
        params={
            "payload": json.dumps(
                {"type": "messaging", "members": ["carol", "alice"], "filter_conditions": {}}
            )
        },
    )
    assert [m["user_id"] for m in found["members"]] == ["alice", "carol"]
    for payload in (
        {"type": "messaging", "id": "nope", "filter_conditions": {}},
        {"type": "messaging", "filter_conditions": {}},
        {"type": "messaging", "id": "general", "filter_conditions": {"id": {"$bad": 1}}},
    ):
        response = api.call("GET", "/members", params={"payload": json.dumps(payload)})
        assert response.status_code in (400, 404), response.text
    outsider = api.call(
        "GET",
        "/members",
        user="carol",
        params={
            "payload": json.dumps({"type": "messaging", "id": "general", "filter_conditions": {}})
        },
    )
    assert_stream_error(outsider, 403, 17)
