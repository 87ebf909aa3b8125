"""Users through the real Python SDK: upsert, partial update, query, delete, (de/re)activate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from django_streaminbox.emulator import Emulator

from .conftest import API, assert_stream_error


def test_upsert_returns_users_keyed_by_id_and_201(
    chat: StreamChat, stream_emulator: Emulator
) -> None:
    response = chat.upsert_users([{"id": "alice", "name": "Alice", "plan": "pro"}, {"id": "bob"}])
    assert response.status_code() == 201
    assert set(response["users"]) == {"alice", "bob"}
    alice = response["users"]["alice"]
    assert (alice["name"], alice["plan"], alice["role"]) == ("Alice", "pro", "user")
    assert alice["created_at"].endswith("Z")
    assert response["membership_deletion_task_id"] == ""
    assert stream_emulator.requests()[-1]["path"] == "/users"


def test_rate_limit_headers_are_lowercase_and_readable(chat: StreamChat) -> None:
    response = chat.upsert_user({"id": "alice"})
    limit = response.rate_limit()
    assert limit is not None
    assert limit.limit == 300
    assert limit.remaining == 299


def test_upsert_replaces_custom_data_and_keeps_created_at(chat: StreamChat) -> None:
    first = chat.upsert_user({"id": "alice", "name": "Alice", "plan": "pro"})["users"]["alice"]
    second = chat.upsert_user({"id": "alice", "name": "Alicia"})["users"]["alice"]
    assert second["name"] == "Alicia"
    assert "plan" not in second
    assert second["created_at"] == first["created_at"]


def test_101_users_in_one_upsert_is_400_code_4(chat: StreamChat, stream_emulator: Emulator) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_users([{"id": f"u{i}"} for i in range(101)])
    assert (caught.value.status_code, caught.value.error_code) == (400, 4)
    assert stream_emulator.state()["users"] == []


def test_100_users_in_one_upsert_are_fine(chat: StreamChat) -> None:
    assert len(chat.upsert_users([{"id": f"u{i}"} for i in range(100)])["users"]) == 100


@pytest.mark.parametrize("bad_id", ["a|b", "", "x" * 256, "with space", "é"])
def test_invalid_user_ids_are_refused(chat: StreamChat, bad_id: str) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_user({"id": bad_id})
    assert caught.value.error_code == 4


def test_one_bad_user_fails_the_whole_batch(chat: StreamChat, stream_emulator: Emulator) -> None:
    with pytest.raises(StreamAPIException):
        chat.upsert_users([{"id": "good"}, {"id": "bad|id"}])
    assert stream_emulator.state()["users"] == []


def test_custom_data_over_5kb_is_refused(chat: StreamChat) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_user({"id": "alice", "bio": "x" * 5200})
    assert caught.value.error_code == 4
    assert "5KB" in caught.value.error_message


def test_server_managed_fields_are_not_stored(chat: StreamChat) -> None:
    user = chat.upsert_user(
        {"id": "alice", "online": True, "created_at": "2000-01-01T00:00:00Z", "unread_count": 9}
    )["users"]["alice"]
    assert user["online"] is False
    assert not user["created_at"].startswith("2000")
    assert "unread_count" not in user


def test_roles_are_checked(chat: StreamChat) -> None:
    assert chat.upsert_user({"id": "boss", "role": "admin"})["users"]["boss"]["role"] == "admin"
    with pytest.raises(StreamAPIException):
        chat.upsert_user({"id": "x", "role": "emperor"})


@pytest.mark.parametrize(
    "field,value", [("name", 5), ("teams", "a"), ("invisible", "yes"), ("teams", [1])]
)
def test_known_fields_must_have_their_types(chat: StreamChat, field: str, value: Any) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.upsert_user({"id": "alice", field: value})
    assert caught.value.error_code == 4


def test_a_user_token_may_update_only_itself_and_not_its_role(api: API, users: list[str]) -> None:
    own = api.call(
        "POST", "/users", {"users": {"alice": {"id": "alice", "name": "Al"}}}, user="alice"
    )
    assert own.status_code == 201
    assert_stream_error(
        api.call("POST", "/users", {"users": {"bob": {"id": "bob"}}}, user="alice"), 403, 17
    )
    assert_stream_error(
        api.call(
            "POST", "/users", {"users": {"alice": {"id": "alice", "role": "admin"}}}, user="alice"
        ),
        403,
        17,
    )


def test_key_must_match_the_user_id(api: API) -> None:
    assert_stream_error(api.call("POST", "/users", {"users": {"a": {"id": "b"}}}), 400, 4)


def test_partial_update_sets_and_unsets_dotted_paths(chat: StreamChat, users: list[str]) -> None:
    chat.update_user_partial({"id": "alice", "set": {"prefs.color": "red", "plan": "pro"}})
    response = chat.update_user_partial(
        {"id": "alice", "set": {"prefs.size": "L"}, "unset": ["plan", "prefs.color"]}
    )
    alice = response["users"]["alice"]
    assert alice["prefs"] == {"size": "L"}
    assert "plan" not in alice
    assert alice["name"] == "Alice"


def test_partial_update_of_a_role_and_of_reserved_fields(
    chat: StreamChat, users: list[str]
) -> None:
    assert (
        chat.update_user_partial({"id": "bob", "set": {"role": "moderator"}})["users"]["bob"][
            "role"
        ]
        == "moderator"
    )
    for bad in (
        {"set": {"created_at": "x"}},
        {"set": {"id": "x"}},
        {"unset": ["id"]},
        {"set": {"name": 3}},
    ):
        with pytest.raises(StreamAPIException) as caught:
            chat.update_user_partial({"id": "bob", **bad})
        assert caught.value.error_code == 4


def test_partial_update_of_an_unknown_user_is_404(chat: StreamChat) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.update_user_partial({"id": "ghost", "set": {"name": "G"}})
    assert (caught.value.status_code, caught.value.error_code) == (404, 16)


def test_partial_update_by_a_user_token(api: API, users: list[str]) -> None:
    ok = api.call("PATCH", "/users", {"users": [{"id": "alice", "set": {"x": 1}}]}, user="alice")
    assert ok.status_code == 200
    assert_stream_error(
        api.call("PATCH", "/users", {"users": [{"id": "bob", "set": {"x": 1}}]}, user="alice"),
        403,
        17,
    )
    assert_stream_error(api.call("PATCH", "/users", {"users": []}), 400, 4)


def test_query_users_eq_in_and_autocomplete(chat: StreamChat, users: list[str]) -> None:
    def ids(conditions: dict[str, Any], **options: Any) -> list[str]:
        return [u["id"] for u in chat.query_users(conditions, **options)["users"]]

    assert ids({"id": {"$eq": "bob"}}) == ["bob"]
    assert ids({"id": "carol"}) == ["carol"]
    assert sorted(ids({"id": {"$in": ["alice", "carol", "nobody"]}})) == ["alice", "carol"]
    assert ids({"name": {"$autocomplete": "ca"}}) == ["carol"]
    assert ids({"id": {"$autocomplete": "AL"}}) == ["alice"]
    assert sorted(ids({"$or": [{"id": "alice"}, {"name": "Bob"}]})) == ["alice", "bob"]
    assert ids({"$and": [{"id": {"$ne": "alice"}}, {"id": {"$nin": ["bob"]}}]}) == ["carol"]
    assert sorted(ids({"$nor": [{"id": "alice"}]})) == ["bob", "carol"]
    assert ids({"role": "user", "name": {"$gte": "Bz"}}) == ["carol"]
    assert ids({"created_at": {"$lt": "2000-01-01T00:00:00Z"}}) == []
    assert len(ids({"created_at": {"$gt": "2000-01-01T00:00:00.000Z"}})) == 3  # JS toISOString()
    assert len(ids({"created_at": {"$gte": "2000-01-01"}})) == 3
    assert ids({"plan": {"$exists": True}}) == []


def test_query_users_sort_limit_offset(chat: StreamChat, users: list[str]) -> None:
    def ids(**options: Any) -> list[str]:
        return [u["id"] for u in chat.query_users({}, **options)["users"]]

    assert ids(sort=[{"field": "name", "direction": 1}]) == ["alice", "bob", "carol"]
    assert ids(sort={"name": -1}) == ["carol", "bob", "alice"]
    assert ids(sort={"name": 1}, limit=2) == ["alice", "bob"]
    assert ids(sort={"name": 1}, limit=2, offset=2) == ["carol"]


@pytest.mark.parametrize(
    "payload",
    [
        '{"filter_conditions": {"id": {"$regex": "a"}}}',
        '{"filter_conditions": {"$where": 1}}',
        '{"filter_conditions": {"id": {"$in": "alice"}}}',
        '{"filter_conditions": {"id": {"$autocomplete": 3}}}',
        '{"filter_conditions": {"id": {"$exists": "yes"}}}',
        '{"filter_conditions": {"created_at": {"$gt": 5}}}',
        '{"filter_conditions": {"created_at": {"$gt": "not a date"}}}',
        '{"filter_conditions": {"id": {"$gt": [1]}}}',
        '{"filter_conditions": {"$or": {}}}',
        '{"filter_conditions": [], "limit": 1}',
        '{"filter_conditions": {}, "limit": 101}',
        '{"filter_conditions": {}, "limit": "ten"}',
        '{"filter_conditions": {}, "offset": 1001}',
        '{"filter_conditions": {}, "sort": [{"field": "name", "direction": 2}]}',
        '{"filter_conditions": {}, "sort": [{"direction": 1}]}',
        '{"filter_conditions": {}, "sort": "name"}',
        "not json",
        "[1, 2]",
        '{"sort": []}',
        json.dumps({"filter_conditions": {}, "sort": [{"field": "name", "direction": 1}] * 6}),
    ],
)
def test_bad_queries_are_400(api: API, users: list[str], payload: str) -> None:
    assert_stream_error(api.call("GET", "/users", params={"payload": payload}), 400, 4)


def test_deactivated_users_are_hidden_unless_asked(chat: StreamChat, users: list[str]) -> None:
    user = chat.deactivate_user("bob")["user"]
    assert user["deactivated_at"]
    assert [u["id"] for u in chat.query_users({"id": "bob"})["users"]] == []
    found = chat.query_users({"id": "bob"}, include_deactivated_users=True)["users"]
    assert found[0]["deactivated_at"]
    reactivated = chat.reactivate_user("bob", name="Robert")["user"]
    assert "deactivated_at" not in reactivated
    assert reactivated["name"] == "Robert"
    with pytest.raises(StreamAPIException):
        chat.reactivate_user("bob")


def test_deactivated_user_cannot_send(chat: StreamChat, general: Any) -> None:
    general.send_message({"text": "before"}, "bob")
    chat.deactivate_user("bob", mark_messages_deleted=True)
    with pytest.raises(StreamAPIException) as caught:
        general.send_message({"text": "hi"}, "bob")
    assert caught.value.status_code == 403
    messages = general.query()["messages"]
    assert [m["type"] for m in messages] == ["deleted"]
    chat.reactivate_user("bob", restore_messages=True)
    assert [m["type"] for m in general.query()["messages"]] == ["regular"]


def test_batch_deactivate_and_reactivate_run_as_tasks(chat: StreamChat, users: list[str]) -> None:
    task_id = chat.deactivate_users(["alice", "bob"])["task_id"]
    task = chat.get_task(task_id)
    assert task["status"] == "completed"
    assert {u["id"] for u in task["result"]["users"]} == {"alice", "bob"}
    response = chat.post("users/reactivate", data={"user_ids": ["alice", "bob"]})
    assert chat.get_task(response["task_id"])["status"] == "completed"
    with pytest.raises(StreamAPIException):
        chat.post("users/reactivate", data={"user_ids": ["alice"]})
    with pytest.raises(StreamAPIException):
        chat.deactivate_users([])
    with pytest.raises(StreamAPIException):
        chat.post("users/reactivate", data={"user_ids": []})
    with pytest.raises(StreamAPIException):
        chat.deactivate_user("alice", created_by_id="ghost")
    with pytest.raises(StreamAPIException):
        chat.reactivate_user("alice", name=5)


def test_unknown_task_is_404(chat: StreamChat) -> None:
    with pytest.raises(StreamAPIException) as caught:
        chat.get_task("nope")
    assert caught.value.status_code == 404


def test_delete_user_soft_and_hard(chat: StreamChat, general: Any) -> None:
    general.send_message({"text": "hello"}, "bob")
    deleted = chat.delete_user("bob", mark_messages_deleted=True)["user"]
    assert deleted["id"] == "bob"
    assert deleted["deleted_at"]
    assert chat.query_users({"id": "bob"})["users"] == []
    assert general.query()["messages"][0]["type"] == "deleted"
    with pytest.raises(StreamAPIException) as caught:
        chat.delete_user("bob")
    assert caught.value.status_code == 404
    chat.restore_users(["bob"])
    assert [u["id"] for u in chat.query_users({"id": "bob"})["users"]] == ["bob"]
    with pytest.raises(StreamAPIException):
        chat.restore_users(["bob"])
    chat.delete_user("alice", hard_delete=True)
    state = general.query()
    assert [m["user_id"] for m in state["members"]] == ["bob"]


def test_delete_user_with_conversations(chat: StreamChat, general: Any) -> None:
    chat.delete_user("alice", delete_conversation_channels=True)
    assert chat.query_channels({"cid": "messaging:general"})["channels"] == []


def test_delete_users_batch(chat: StreamChat, users: list[str]) -> None:
    response = chat.delete_users(["alice", "ghost"], "hard", messages="hard")
    result = chat.get_task(response["task_id"])["result"]
    assert result["alice"] == {"status": "ok"}
    assert result["ghost"]["status"] == "error"
    with pytest.raises(StreamAPIException):
        chat.delete_users(["bob"], "obliterate")
    with pytest.raises(StreamAPIException):
        chat.delete_users([], "soft")
    with pytest.raises(StreamAPIException):
        chat.post("users/delete", data={"user_ids": ["bob"]})


def test_unread_counts_endpoints(chat: StreamChat, general: Any) -> None:
    general.send_message({"text": "one"}, "alice")
    general.send_message({"text": "two"}, "alice")
    counts = chat.unread_counts("bob")
    assert counts["total_unread_count"] == 2
    assert counts["channels"][0]["channel_id"] == "messaging:general"
    assert counts["channel_type"] == [
        {"channel_type": "messaging", "channel_count": 1, "unread_count": 2}
    ]
    batch = chat.unread_counts_batch(["alice", "bob"])["counts_by_user"]
    assert (batch["alice"]["total_unread_count"], batch["bob"]["total_unread_count"]) == (0, 2)
