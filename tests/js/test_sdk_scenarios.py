"""The real `stream-chat` JS SDK (9.53.0, Node) against the emulator: what a chat UI relies on.

One Node process runs every scenario of ``sdk_scenarios.mjs`` concurrently (each on its own users
and channels) against one emulator; each test below asserts on what the SDK saw in its scenario.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from django_streaminbox.emulator import Emulator

from .node import API_KEY, API_SECRET, run_node

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=API_KEY, api_secret=API_SECRET, host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture(scope="module")
def sdk_run(emulator: Emulator) -> dict[str, Any]:
    return run_node("sdk_scenarios.mjs", emulator, timeout=120)


def observed(run: dict[str, Any], name: str) -> dict[str, Any]:
    """The scenario's observations, or a failure showing the SDK error and what it saw so far."""
    result = run["scenarios"].get(name)
    if result is None:
        pytest.fail(
            f"scenario {name} did not run: {run.get('error')}\nnode stderr:\n{run['stderr']}"
        )
    if result["error"] is not None:
        pytest.fail(
            f"scenario {name} failed in the SDK: {json.dumps(result['error'], indent=2)}\n"
            f"observed: {json.dumps(result['observed'], indent=2)}\nnode stderr:\n{run['stderr']}"
        )
    observations: dict[str, Any] = result["observed"]
    return observations


def test_watcher_gets_message_new_and_unread_rises(sdk_run: dict[str, Any]) -> None:
    seen = observed(sdk_run, "message_new_reaches_watcher")
    event = seen["event"]
    assert seen["bob_me_total_unread_before"] == 0
    assert seen["bob_me_online"] is True  # `me` in the connection event: he is online now
    assert seen["bob_unread_before"] == 0
    assert event["type"] == "message.new"
    assert event["cid"] == seen["channel_cid"]
    assert (event["channel_type"], event["channel_id"]) == tuple(seen["channel_cid"].split(":"))
    assert event["message_id"] == seen["sent_message_id"]
    assert event["message_text"] == "hello bob"
    assert event["user_id"].startswith("alice-")
    assert seen["bob_unread_after"] == 1
    assert (event["total_unread_count"], event["unread_channels"]) == (1, 1)
    assert seen["bob_latest_text"] == "hello bob"
    # Bob watches the channel, so he gets message.new and not the "not watching" notification.
    assert "notification.message_new" not in seen["bob_event_types"]
    # The sender's own watching connection receives message.new too: that is how her UI shows it.
    assert seen["alice_latest_text"] == "hello bob"
    assert seen["alice_unread_after"] == 0


def test_mark_read_reaches_sender_and_survives_reconnect(sdk_run: dict[str, Any]) -> None:
    seen = observed(sdk_run, "mark_read_and_reconnect")
    before = {
        key: value
        for key, value in seen["bob_before_read"].items()
        if key != "read_last_read_message_id"
    }
    assert before == {
        "me_total_unread_count": 2,
        "me_unread_channels": 1,
        "count_unread": 2,
        "read_unread_messages": 2,
    }
    assert seen["message_read"]["user_id"].startswith("bob-")
    assert seen["message_read"]["last_read_message_id"] == seen["last_message_id"]
    assert seen["notification_mark_read"] == {"total_unread_count": 0, "unread_channels": 0}
    assert seen["alice_view_of_bob_read"] == {
        "unread_messages": 0,
        "last_read_message_id": seen["last_message_id"],
    }
    assert seen["bob_unread_after_mark_read"] == 0
    assert seen["bob_after_reconnect"] == {
        "me_total_unread_count": 0,
        "me_unread_channels": 0,
        "count_unread": 0,
        "read_unread_messages": 0,
        "read_last_read_message_id": seen["last_message_id"],
    }


def test_typing_start_and_stop_reach_the_other_watcher(sdk_run: dict[str, Any]) -> None:
    seen = observed(sdk_run, "typing_events")
    assert seen["typing_start"]["user_id"].startswith("alice-")
    assert seen["typing_start"]["cid"] == f"messaging:{seen['typing_start']['channel_id']}"
    assert seen["bob_sees_alice_typing"] is True
    assert seen["typing_stop"]["user_id"] == seen["typing_start"]["user_id"]
    assert seen["bob_sees_alice_typing_after_stop"] is False
    # The SDK's idle timer (not the 7 s local prune) produced the second stop, through the server.
    assert seen["automatic_typing_stop"]["from_server"] is True


def test_query_channels_reorders_by_last_message_at(sdk_run: dict[str, Any]) -> None:
    seen = observed(sdk_run, "query_channels_sort")
    older, newer = seen["older"], seen["newer"]
    assert seen["before"] == [newer, older]
    assert seen["before_ascending"] == [older, newer]
    assert seen["after"] == [older, newer]
    first, second = seen["after_last_message_at"]
    assert first > second  # RFC 3339 UTC strings compare in time order


def test_sixty_messages_page_back_by_id_lt(sdk_run: dict[str, Any]) -> None:
    seen = observed(sdk_run, "message_pagination")
    assert len(seen["sent"]) == 60
    assert seen["page_sizes"] == [25, 25, 10]
    assert seen["duplicates"] == 0
    assert seen["received"] == seen["sent"]
    assert seen["state_messages"] == seen["sent"]
    assert seen["has_more_older"] is False


def test_token_provider_refreshes_an_expired_token(
    sdk_run: dict[str, Any], emulator: Emulator
) -> None:
    seen = observed(sdk_run, "token_refresh")
    assert seen["rest"]["provider_calls"] == 2
    assert seen["ws"]["provider_calls"] == 3
    assert seen["ws"]["connection_id_changed"] is True
    assert seen["ws"]["healthy"] is True
    assert seen["after_reconnect_text"] == "welcome back"
    # The emulator really refused the expired token before the retry succeeded.
    path = f"/channels/messaging/{seen['rest']['channel_id']}/message"
    statuses = [entry["status"] for entry in emulator.requests() if entry["path"] == path]
    assert statuses[0] == 401
    assert statuses[1] in (200, 201)
    # ...and refused the socket's reconnect with the expired token (in band) before the fresh one.
    connects = [
        entry["status"]
        for entry in emulator.requests()
        if entry["path"] == "/connect"
        and json.loads(entry["query"]["json"])["user_id"] == seen["user_id"]
    ]
    assert connects == [101, 401, 101]


def test_wrong_secret_token_is_refused_in_band(sdk_run: dict[str, Any]) -> None:
    seen = observed(sdk_run, "wrong_secret_token")
    rejection = seen["rejection"]
    assert (rejection["code"], rejection["StatusCode"]) == (43, 401)
    # isWSFailure false: Stream refused it, so the SDK gives up at once (no 15 s retry loop).
    assert rejection["isWSFailure"] is False
    assert rejection["message"].startswith("WS failed with code 43")
    assert seen["user_id_after"] is None
    expired = seen["expired_rejection"]
    assert (expired["code"], expired["StatusCode"], expired["isWSFailure"]) == (40, 401, False)
    assert seen["rest_rejection"] == {"code": 43, "status": 401}
    unknown_key = seen["unknown_key_rejection"]
    assert (unknown_key["code"], unknown_key["StatusCode"], unknown_key["isWSFailure"]) == (
        2,
        401,
        False,
    )


def test_online_member_not_watching_gets_notification_then_message_new(
    sdk_run: dict[str, Any],
) -> None:
    seen = observed(sdk_run, "notification_for_non_watcher")
    notification = seen["notification"]
    assert notification["cid"] == f"messaging:{seen['channel_id']}"
    assert (notification["channel_type"], notification["channel_id"]) == (
        "messaging",
        seen["channel_id"],
    )
    assert notification["channel_has_config"] is True
    assert notification["message_text"] == "are you there?"
    assert (notification["total_unread_count"], notification["unread_channels"]) == (1, 1)
    assert (
        "message.new" not in seen["bob_types_before_watch"]
    )  # not watching: only the notification
    assert seen["unread_after_watch"] == 1
    assert seen["second"] == {"type": "message.new", "total_unread_count": 2}
    assert seen["unread_after_second"] == 2


def test_presence_and_watching_events(sdk_run: dict[str, Any]) -> None:
    seen = observed(sdk_run, "presence_and_watching")
    assert seen["bob_online_at_first"] is False
    assert seen["presence_online"] is True
    assert seen["watching_start"]["watcher_count"] == 2
    assert seen["alice_state_watchers"] == sorted([seen["alice"], seen["bob"]])
    assert seen["watching_stop"]["watcher_count"] == 1
    assert seen["alice_state_watcher_count"] == 1
    assert seen["alice_sees_bob_online"] is False
