"""Messages and read state through the real Python SDK: send, page, update, delete, read, unread."""

from __future__ import annotations

from typing import Any

import pytest
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from .conftest import API, assert_stream_error


def test_send_message_shape(general: Any) -> None:
    response = general.send_message({"text": "hello <b>", "mood": "happy"}, "alice")
    assert response.status_code() == 201
    message = response["message"]
    assert message["text"] == "hello <b>"
    assert message["html"] == "<p>hello &lt;b&gt;</p>\n"
    assert (message["type"], message["cid"], message["user"]["id"]) == (
        "regular",
        "messaging:general",
        "alice",
    )
    assert message["mood"] == "happy"
    for key in ("attachments", "mentioned_users", "latest_reactions", "own_reactions"):
        assert message[key] == []
    assert message["created_at"].endswith("Z")


def test_client_chosen_ids_and_their_rules(general: Any) -> None:
    assert (
        general.send_message({"id": "my-id-1", "text": "x"}, "alice")["message"]["id"] == "my-id-1"
    )
    for bad in ("my-id-1", "a,b", "a%b", "x" * 256):
        with pytest.raises(StreamAPIException) as caught:
            general.send_message({"id": bad, "text": "x"}, "alice")
        assert caught.value.error_code == 4


def test_length_limit_comes_from_the_channel_config(general: Any) -> None:
    assert general.send_message({"text": "x" * 5000}, "alice")
    with pytest.raises(StreamAPIException) as caught:
        general.send_message({"text": "x" * 5001}, "alice")
    assert (caught.value.status_code, caught.value.error_code) == (400, 4)


@pytest.mark.parametrize(
    "message",
    [
        {"text": ""},
        {"text": 5},
        {"text": "x", "attachments": "file"},
        {"text": "x", "attachments": [1]},
        {"text": "x", "attachments": [{}] * 31},
        {"text": "x", "mentioned_users": [3]},
        {"text": "x", "mentioned_users": ["u"] * 26},
        {"text": "x", "type": "ephemeral"},
        {"text": "x", "parent_id": "nope"},
        {"text": "x", "blob": "y" * 5200},
        {"text": "x", "silent": "yes"},
    ],
)
def test_bad_messages_are_refused(general: Any, message: dict[str, Any]) -> None:
    with pytest.raises(StreamAPIException) as caught:
        general.send_message(message, "alice")
    assert caught.value.status_code == 400


def test_server_side_send_needs_an_existing_user(api: API, general: Any) -> None:
    body = {"message": {"text": "x"}}
    assert_stream_error(api.call("POST", "/channels/messaging/general/message", body), 400, 4)
    body = {"message": {"text": "x", "user_id": "ghost"}}
    assert_stream_error(api.call("POST", "/channels/messaging/general/message", body), 404, 16)
    assert_stream_error(
        api.call(
            "POST",
            "/channels/messaging/nope/message",
            {"message": {"text": "x", "user_id": "alice"}},
        ),
        404,
        16,
    )


def test_system_messages_server_side_and_mentions(general: Any) -> None:
    message = general.send_message({"text": "joined", "type": "system"}, "alice")["message"]
    assert message["type"] == "system"
    mention = general.send_message({"text": "hi @bob", "mentioned_users": ["bob"]}, "alice")
    assert mention["message"]["mentioned_users"][0]["id"] == "bob"


def test_pagination_with_id_lt_and_id_gt(general: Any) -> None:
    ids = [general.send_message({"text": f"m{i}"}, "alice")["message"]["id"] for i in range(60)]
    page = general.query(messages={"limit": 25})["messages"]
    assert [m["id"] for m in page] == ids[35:]
    older = general.query(messages={"limit": 25, "id_lt": page[0]["id"]})["messages"]
    assert [m["id"] for m in older] == ids[10:35]
    oldest = general.query(messages={"limit": 25, "id_lt": older[0]["id"]})["messages"]
    assert [m["id"] for m in oldest] == ids[:10]
    newer = general.query(messages={"limit": 5, "id_gt": ids[10]})["messages"]
    assert [m["id"] for m in newer] == ids[11:16]
    assert [
        m["id"] for m in general.query(messages={"limit": 2, "id_lte": ids[5]})["messages"]
    ] == ids[4:6]
    assert [
        m["id"] for m in general.query(messages={"limit": 2, "id_gte": ids[5]})["messages"]
    ] == ids[5:7]
    assert general.query(messages={"limit": 0})["messages"] == []
    with pytest.raises(StreamAPIException):
        general.query(messages={"id_lt": "unknown"})
    with pytest.raises(StreamAPIException):
        general.query(messages={"limit": 301})


def test_get_update_and_delete_messages(chat: StreamChat, general: Any) -> None:
    message = general.send_message({"text": "first"}, "alice")["message"]
    assert chat.get_message(message["id"])["message"]["text"] == "first"
    assert general.get_messages([message["id"], "nope"])["messages"][0]["id"] == message["id"]
    updated = chat.update_message({"id": message["id"], "text": "edited", "user_id": "alice"})
    assert updated["message"]["text"] == "edited"
    partial = chat.update_message_partial(
        message["id"], {"set": {"text": "again", "tag": 1}}, "alice"
    )
    assert (partial["message"]["text"], partial["message"]["tag"]) == ("again", 1)
    unset = chat.update_message_partial(message["id"], {"unset": ["tag"]}, "alice")
    assert "tag" not in unset["message"]
    with pytest.raises(StreamAPIException):
        chat.update_message_partial(message["id"], {"set": {"reply_count": 3}}, "alice")
    deleted = chat.delete_message(message["id"])["message"]
    assert (deleted["type"], bool(deleted["deleted_at"])) == ("deleted", True)
    with pytest.raises(StreamAPIException):
        chat.update_message({"id": message["id"], "text": "zombie", "user_id": "alice"})
    chat.delete_message(message["id"], hard=True)
    with pytest.raises(StreamAPIException) as caught:
        chat.get_message(message["id"])
    assert caught.value.status_code == 404


def test_users_may_edit_and_delete_only_their_own_messages(api: API, general: Any) -> None:
    message = general.send_message({"text": "mine"}, "alice")["message"]
    path = f"/messages/{message['id']}"
    assert_stream_error(api.call("POST", path, {"message": {"text": "x"}}, user="bob"), 403, 17)
    assert_stream_error(api.call("DELETE", path, user="bob"), 403, 17)
    assert_stream_error(api.call("PUT", path, {"set": {"text": "x"}}, user="bob"), 403, 17)
    own = api.call("POST", path, {"message": {"text": "edited"}}, user="alice")
    assert own.json()["message"]["text"] == "edited"
    assert_stream_error(
        api.call("POST", path, {"message": {"id": "other", "text": "x"}}, user="alice"), 400, 4
    )
    assert api.call("GET", path, user="bob").status_code == 200
    assert_stream_error(api.call("GET", path, user="carol"), 403, 17)
    assert api.call("DELETE", path, user="alice").status_code == 200


def test_thread_replies(general: Any) -> None:
    parent = general.send_message({"text": "parent"}, "alice")["message"]
    reply = general.send_message({"text": "reply", "parent_id": parent["id"]}, "bob")["message"]
    assert reply["parent_id"] == parent["id"]
    shown = general.send_message(
        {"text": "shown", "parent_id": parent["id"], "show_in_channel": True}, "bob"
    )
    assert shown["message"]["show_in_channel"] is True
    state = general.query()
    assert [m["text"] for m in state["messages"]] == ["parent", "shown"]
    assert state["messages"][0]["reply_count"] == 2
    with pytest.raises(StreamAPIException) as caught:
        general.send_message({"text": "nested", "parent_id": reply["id"]}, "alice")
    assert caught.value.error_code == 21


def _unread(channel: Any, user_id: str) -> int:
    reads = channel.query(user_id=user_id)["read"]
    return next(r["unread_messages"] for r in reads if r["user"]["id"] == user_id)


def test_unread_counts_rise_and_mark_read_clears(chat: StreamChat, general: Any) -> None:
    for text in ("one", "two", "three"):
        general.send_message({"text": text}, "alice")
    assert _unread(general, "bob") == 3
    assert _unread(general, "alice") == 0
    response = general.mark_read("bob")
    assert response["event"]["type"] == "message.read"
    assert response["event"]["user"]["id"] == "bob"
    assert _unread(general, "bob") == 0
    assert chat.unread_counts("bob")["total_unread_count"] == 0


def test_thread_only_and_silent_messages_do_not_count(general: Any) -> None:
    parent = general.send_message({"text": "p"}, "alice")["message"]
    general.mark_read("bob")
    general.send_message({"text": "reply", "parent_id": parent["id"]}, "alice")
    general.send_message({"text": "quiet", "silent": True}, "alice")
    assert _unread(general, "bob") == 0


def test_mark_read_up_to_a_message_and_mark_unread(general: Any) -> None:
    ids = [general.send_message({"text": f"m{i}"}, "alice")["message"]["id"] for i in range(4)]
    general.mark_read("bob", message_id=ids[1])
    assert _unread(general, "bob") == 2
    general.mark_read("bob")
    general.mark_unread("bob", message_id=ids[2])
    assert _unread(general, "bob") == 2
    general.mark_unread("bob", message_id=ids[0])
    assert _unread(general, "bob") == 4
    for bad in ({"message_id": "nope"}, {}):
        with pytest.raises(StreamAPIException):
            general.mark_unread("bob", **bad)
    with pytest.raises(StreamAPIException):
        general.mark_read("bob", message_id="nope")


def test_mark_read_needs_a_member(general: Any, api: API) -> None:
    with pytest.raises(StreamAPIException) as caught:
        general.mark_read("carol")
    assert caught.value.status_code == 403
    assert_stream_error(api.call("POST", "/channels/messaging/general/read", {}), 400, 4)


def test_mark_all_read(chat: StreamChat, general: Any, users: list[str]) -> None:
    other = chat.channel("messaging", "other", {"members": ["alice", "bob"]})
    other.create("alice")
    general.send_message({"text": "a"}, "alice")
    other.send_message({"text": "b"}, "alice")
    assert chat.unread_counts("bob")["total_unread_count"] == 2
    chat.mark_all_read("bob")
    assert chat.unread_counts("bob")["total_unread_count"] == 0


def test_send_event_typing_and_custom(general: Any, api: API) -> None:
    event = general.send_event({"type": "typing.start"}, "bob")["event"]
    assert (event["type"], event["cid"], event["user"]["id"]) == (
        "typing.start",
        "messaging:general",
        "bob",
    )
    assert general.send_event({"type": "cheer", "level": 3}, "alice")["event"]["level"] == 3
    for bad in ("message.new", "", "user.updated"):
        with pytest.raises(StreamAPIException) as caught:
            general.send_event({"type": bad}, "alice")
        assert caught.value.status_code == 400
    typing = {"event": {"type": "typing.start"}}
    assert_stream_error(
        api.call("POST", "/channels/messaging/general/event", typing, user="carol"), 403, 17
    )
    assert_stream_error(
        api.call(
            "POST",
            "/channels/messaging/general/event",
            {"event": {"type": "x", "blob": "y" * 6000}},
            user="bob",
        ),
        400,
        4,
    )


def test_delivered_and_stop_watching_answer_json(api: API, general: Any) -> None:
    response = api.call(
        "POST", "/channels/delivered", {"latest_delivered_messages": []}, user="bob"
    )
    assert response.status_code == 201
    assert "duration" in response.json()
    stop = api.call("POST", "/channels/messaging/general/stop-watching", {}, user="bob")
    assert stop.status_code == 201
