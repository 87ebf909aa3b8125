"""The WebSocket protocol, driven with aiohttp's client exactly as the JS SDK speaks it."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
from stream_chat import StreamChat

from django_streaminbox.emulator import Emulator

from .conftest import Sockets, connect_url, run_ws


def test_first_frame_is_the_connection_event_with_me(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    general.send_message({"text": "unread"}, "alice")

    async def scenario(sockets: Sockets) -> None:
        bob = await sockets.connect("bob", name="Bobby", role="admin")
        first = bob.first
        assert first["type"] == "health.check"
        assert first["connection_id"]
        assert first["cid"] == "*"
        me = first["me"]
        assert (me["id"], me["name"], me["role"], me["online"]) == ("bob", "Bobby", "user", True)
        assert me["mutes"] == [] and me["channel_mutes"] == [] and me["devices"] == []
        assert (me["total_unread_count"], me["unread_count"], me["unread_channels"]) == (1, 1, 1)
        assert me["unread_threads"] == 0

    run_ws(stream_emulator, chat, scenario)
    assert stream_emulator.requests()[-1]["path"] == "/connect"
    assert stream_emulator.requests()[-1]["status"] == 101
    assert "authorization" not in stream_emulator.requests()[-1]["query"]


def test_connecting_creates_the_user_from_user_details(
    stream_emulator: Emulator, chat: StreamChat
) -> None:
    async def scenario(sockets: Sockets) -> None:
        socket = await sockets.connect("newcomer", name="New", image="http://x/y.png")
        assert socket.first["me"]["name"] == "New"

    run_ws(stream_emulator, chat, scenario)
    found = chat.query_users({"id": "newcomer"})["users"][0]
    assert (found["name"], found["image"]) == ("New", "http://x/y.png")


def _auth_error(stream_emulator: Emulator, url: str) -> tuple[dict[str, Any], int | None]:
    async def main() -> tuple[dict[str, Any], int | None]:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(url)
            frame = json.loads((await ws.receive(timeout=2)).data)
            closing = await ws.receive(timeout=2)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            return frame, ws.close_code

    return asyncio.run(main())


def test_auth_errors_are_sent_in_band_then_close_1000(
    stream_emulator: Emulator, chat: StreamChat
) -> None:
    expired = str(chat.create_token("alice", exp=int(time.time()) - 5))
    frame, code = _auth_error(stream_emulator, connect_url(stream_emulator, expired, "alice"))
    assert frame["error"]["code"] == 40
    assert frame["error"]["StatusCode"] == 401
    assert code == 1000
    wrong = StreamChat(stream_emulator.api_key, "w" * 40).create_token("alice")
    frame, code = _auth_error(stream_emulator, connect_url(stream_emulator, wrong, "alice"))
    assert (frame["error"]["code"], code) == (43, 1000)
    bob_token = str(chat.create_token("bob"))
    frame, _ = _auth_error(stream_emulator, connect_url(stream_emulator, bob_token, "alice"))
    assert frame["error"]["code"] == 5
    bad_key = connect_url(stream_emulator, bob_token, "bob").replace(
        stream_emulator.api_key, "wrong-key"
    )
    assert _auth_error(stream_emulator, bad_key)[0]["error"]["code"] == 2
    no_json = (
        stream_emulator.url.replace("http", "ws") + "/connect?api_key=" + stream_emulator.api_key
    )
    assert _auth_error(stream_emulator, no_json)[0]["error"]["code"] == 5
    server = str(chat.auth_token)
    assert _auth_error(stream_emulator, connect_url(stream_emulator, server, "alice"))[0]["error"]


def test_deactivated_users_cannot_connect(
    stream_emulator: Emulator, chat: StreamChat, users: list[str]
) -> None:
    chat.deactivate_user("bob")
    token = str(chat.create_token("bob"))
    frame, code = _auth_error(stream_emulator, connect_url(stream_emulator, token, "bob"))
    assert (frame["error"]["code"], code) == (17, 1000)
    chat.reactivate_user("bob")
    chat.delete_user("bob")
    frame, _ = _auth_error(stream_emulator, connect_url(stream_emulator, token, "bob"))
    assert frame["error"]["code"] == 17


def test_heartbeats_are_answered_and_silence_gets_a_health_check(chat: StreamChat) -> None:
    with Emulator(chat.api_key, chat.api_secret, heartbeat_interval=0.2) as emulator:

        async def scenario(sockets: Sockets) -> None:
            socket = await sockets.connect("alice")
            await socket.ws.send_str(
                json.dumps([{"type": "health.check", "client_id": "alice--1"}])
            )
            reply = await socket.wait_for("health.check")
            assert reply["connection_id"] == socket.connection_id
            assert "me" not in reply
            pushed = await socket.wait_for("health.check", timeout=1)
            assert pushed["cid"] == "*"
            await socket.ws.send_str("not json")
            error = await socket.next()
            assert error["error"]["code"] == 4
            await socket.ws.send_str(json.dumps({"type": "health.check"}))
            assert (await socket.wait_for("health.check"))["type"] == "health.check"

        run_ws(emulator, StreamChat(chat.api_key, chat.api_secret, base_url=emulator.url), scenario)


def test_message_new_reaches_every_watcher_including_the_sender(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        bob = await sockets.connect("bob")
        await sockets.watch(alice, "alice", "messaging:general")
        await sockets.watch(bob, "bob", "messaging:general")
        status, sent = await sockets.rest(
            alice,
            "alice",
            "POST",
            "/channels/messaging/general/message",
            {"message": {"text": "hi bob"}},
        )
        assert status == 201
        for socket, unread in ((alice, 0), (bob, 1)):
            event = await socket.wait_for("message.new")
            assert event["message"]["id"] == sent["message"]["id"]
            assert (event["cid"], event["channel_id"], event["channel_type"]) == (
                "messaging:general",
                "general",
                "messaging",
            )
            assert event["user"]["id"] == "alice"
            assert event["watcher_count"] == 2
            assert event["total_unread_count"] == unread
            assert event["unread_channels"] == unread
        await bob.quiet("notification.message_new")

    run_ws(stream_emulator, chat, scenario)


def test_notification_message_new_goes_to_members_not_watching(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        bob = await sockets.connect("bob")
        carol = await sockets.connect("carol")
        general.send_message({"text": "psst"}, "alice")
        event = await bob.wait_for("notification.message_new")
        assert event["channel"]["cid"] == "messaging:general"
        assert event["channel"]["config"]["read_events"] is True
        assert [m["user_id"] for m in event["channel"]["members"]] == ["alice", "bob"]
        assert event["message"]["text"] == "psst"
        assert (event["total_unread_count"], event["unread_channels"]) == (1, 1)
        await carol.quiet("notification.message_new")
        await bob.quiet("message.new")

    run_ws(stream_emulator, chat, scenario)


def test_mark_read_sends_message_read_and_notification_mark_read(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        bob = await sockets.connect("bob")
        await sockets.watch(alice, "alice", "messaging:general")
        await sockets.watch(bob, "bob", "messaging:general")
        general.send_message({"text": "one"}, "alice")
        await bob.wait_for("message.new")
        status, body = await sockets.rest(
            bob, "bob", "POST", "/channels/messaging/general/read", {}
        )
        assert status == 201
        assert body["event"]["type"] == "message.read"
        read = await alice.wait_for("message.read")
        assert read["user"]["id"] == "bob"
        assert read["cid"] == "messaging:general"
        assert read["last_read_message_id"]
        notice = await bob.wait_for("notification.mark_read")
        assert (notice["total_unread_count"], notice["unread_channels"]) == (0, 0)
        again = await sockets.connect("bob")
        assert again.first["me"]["total_unread_count"] == 0

    run_ws(stream_emulator, chat, scenario)


def test_read_receipts_can_be_turned_off(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    chat.upsert_user(
        {
            "id": "bob",
            "privacy_settings": {
                "read_receipts": {"enabled": False},
                "typing_indicators": {"enabled": False},
            },
        }
    )

    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        await sockets.watch(alice, "alice", "messaging:general")
        general.mark_read("bob")
        general.send_event({"type": "typing.start"}, "bob")
        await alice.quiet("message.read")
        await alice.quiet("typing.start")

    run_ws(stream_emulator, chat, scenario)


def test_typing_events_reach_the_other_side(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        bob = await sockets.connect("bob")
        await sockets.watch(alice, "alice", "messaging:general")
        await sockets.watch(bob, "bob", "messaging:general")
        for kind in ("typing.start", "typing.stop"):
            status, _ = await sockets.rest(
                bob, "bob", "POST", "/channels/messaging/general/event", {"event": {"type": kind}}
            )
            assert status == 201
            event = await alice.wait_for(kind)
            assert event["user"]["id"] == "bob"
            assert event["channel_id"] == "general"
        await bob.quiet("typing.start", 0.2)

    run_ws(stream_emulator, chat, scenario)


def test_watching_and_presence_events(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        state = await sockets.watch(alice, "alice", "messaging:general", presence=True)
        assert state["watcher_count"] == 1
        assert [u["id"] for u in state["watchers"]] == ["alice"]
        bob = await sockets.connect("bob")
        online = await alice.wait_for(
            "user.presence.changed", where=lambda e: e["user"]["id"] == "bob"
        )
        assert online["user"]["online"] is True
        await sockets.watch(bob, "bob", "messaging:general")
        start = await alice.wait_for("user.watching.start")
        assert (start["user"]["id"], start["watcher_count"]) == ("bob", 2)
        status, _ = await sockets.rest(
            bob, "bob", "POST", "/channels/messaging/general/stop-watching", {}
        )
        assert status == 201
        stop = await alice.wait_for("user.watching.stop")
        assert (stop["user"]["id"], stop["watcher_count"]) == ("bob", 1)
        await sockets.watch(bob, "bob", "messaging:general")
        await alice.wait_for("user.watching.start")
        await bob.ws.close()
        stop = await alice.wait_for("user.watching.stop")
        assert stop["watcher_count"] == 1
        offline = await alice.wait_for("user.presence.changed")
        assert (offline["user"]["id"], offline["user"]["online"]) == ("bob", False)
        general.send_message({"text": "after bob left"}, "alice")
        event = await alice.wait_for("message.new")
        assert event["watcher_count"] == 1

    run_ws(stream_emulator, chat, scenario)


def test_query_users_presence_subscription(
    stream_emulator: Emulator, chat: StreamChat, users: list[str]
) -> None:
    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        payload = json.dumps({"filter_conditions": {"id": "carol"}, "presence": True})
        status, body = await sockets.rest(alice, "alice", "GET", f"/users?payload={payload}")
        assert status == 200 and body["users"][0]["id"] == "carol"
        await sockets.connect("carol")
        event = await alice.wait_for(
            "user.presence.changed", where=lambda e: e["user"]["id"] == "carol"
        )
        assert event["user"]["online"] is True
        chat.upsert_user({"id": "carol", "name": "Caroline"})
        updated = await alice.wait_for("user.updated")
        assert updated["user"]["name"] == "Caroline"

    run_ws(stream_emulator, chat, scenario)


def test_member_added_and_notification_added_to_channel(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        carol = await sockets.connect("carol")
        await sockets.watch(alice, "alice", "messaging:general")
        general.add_members(["carol"])
        added = await alice.wait_for("member.added")
        assert added["member"]["user"]["id"] == "carol"
        notice = await carol.wait_for("notification.added_to_channel")
        assert notice["channel"]["cid"] == "messaging:general"
        assert notice["member"]["user_id"] == "carol"
        assert "total_unread_count" in notice
        assert {m["user_id"] for m in notice["channel"]["members"]} == {"alice", "bob", "carol"}
        general.remove_members(["carol"])
        removed = await alice.wait_for("member.removed")
        assert removed["user"]["id"] == "carol"
        await carol.wait_for("notification.removed_from_channel")
        general.update({"name": "New name"})
        updated = await alice.wait_for("channel.updated")
        assert updated["channel"]["name"] == "New name"

    run_ws(stream_emulator, chat, scenario)


def test_new_channel_notifies_its_members(
    stream_emulator: Emulator, chat: StreamChat, users: list[str]
) -> None:
    async def scenario(sockets: Sockets) -> None:
        bob = await sockets.connect("bob")
        chat.channel("messaging", "fresh", {"members": ["alice", "bob"]}).create("alice")
        notice = await bob.wait_for("notification.added_to_channel")
        assert notice["channel"]["id"] == "fresh"

    run_ws(stream_emulator, chat, scenario)


def test_message_updated_deleted_and_channel_deleted_events(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        bob = await sockets.connect("bob")
        await sockets.watch(bob, "bob", "messaging:general")
        message = general.send_message({"text": "v1"}, "alice")["message"]
        chat.update_message({"id": message["id"], "text": "v2", "user_id": "alice"})
        assert (await bob.wait_for("message.updated"))["message"]["text"] == "v2"
        chat.delete_message(message["id"])
        assert (await bob.wait_for("message.deleted"))["message"]["type"] == "deleted"
        general.truncate()
        await bob.wait_for("channel.truncated")
        general.delete()
        assert (await bob.wait_for("channel.deleted"))["cid"] == "messaging:general"

    run_ws(stream_emulator, chat, scenario)


def test_watch_needs_the_callers_own_connection(
    stream_emulator: Emulator, chat: StreamChat, general: Any
) -> None:
    async def scenario(sockets: Sockets) -> None:
        alice = await sockets.connect("alice")
        status, state = await sockets.rest(
            alice,
            "bob",
            "POST",
            "/channels/messaging/general/query",
            {"watch": True, "state": True},
        )
        assert status == 201
        assert state["watcher_count"] == 0
        status, body = await sockets.rest(
            alice,
            "alice",
            "POST",
            "/channels",
            {"filter_conditions": {"cid": "messaging:general"}, "watch": True, "presence": True},
        )
        assert status == 201 and body["channels"][0]["watcher_count"] == 1

    run_ws(stream_emulator, chat, scenario)


def test_deleting_a_user_closes_their_sockets(
    stream_emulator: Emulator, chat: StreamChat, users: list[str]
) -> None:
    async def scenario(sockets: Sockets) -> None:
        bob = await sockets.connect("bob")
        chat.deactivate_user("bob")
        message = await bob.ws.receive(timeout=2)
        while message.type == aiohttp.WSMsgType.TEXT:
            message = await bob.ws.receive(timeout=2)
        assert bob.ws.closed

    run_ws(stream_emulator, chat, scenario)


def test_reset_closes_sockets(
    stream_emulator: Emulator, chat: StreamChat, users: list[str]
) -> None:
    async def scenario(sockets: Sockets) -> None:
        bob = await sockets.connect("bob")
        stream_emulator.reset()
        message = await bob.ws.receive(timeout=2)
        while message.type == aiohttp.WSMsgType.TEXT:
            message = await bob.ws.receive(timeout=2)
        assert bob.ws.close_code == 1000

    run_ws(stream_emulator, chat, scenario)


def test_revoked_tokens_cannot_connect(
    stream_emulator: Emulator, chat: StreamChat, users: list[str]
) -> None:
    token = str(chat.create_token("bob", iat=int(time.time()) - 100))
    chat.revoke_user_token("bob", "2100-01-01T00:00:00Z")
    frame, code = _auth_error(stream_emulator, connect_url(stream_emulator, token, "bob"))
    assert (frame["error"]["code"], code) == (42, 1000)
