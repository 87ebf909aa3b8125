"""The emulator's outgoing webhooks against a plain HTTP receiver: Stream's rules, one by one.

The receiver is a tiny threaded HTTP server that answers with the statuses a test scripts, so that
retries, give-ups and the configuration through ``PATCH /app`` can be checked without Django.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from django_streaminbox.emulator import Emulator
from django_streaminbox.emulator import webhooks as emulator_webhooks


class Receiver:
    """Records every request; answers with ``statuses`` in turn (then 200), or stalls."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.stall_seconds = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                if receiver.stall_seconds:
                    time.sleep(receiver.stall_seconds)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/stream"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def sdk(stream_emulator: Emulator) -> Iterator[StreamChat]:
    config = stream_emulator.emulation.config
    delay, config.webhook_retry_delay = config.webhook_retry_delay, 0.0
    yield StreamChat(
        stream_emulator.api_key, stream_emulator.api_secret, base_url=stream_emulator.url
    )
    stream_emulator.wait_for_webhooks()
    config.webhook_retry_delay = delay


def hook(url: str, *event_types: str, enabled: bool = True) -> dict[str, Any]:
    return {
        "hook_type": "webhook",
        "enabled": enabled,
        "webhook_url": url,
        "event_types": list(event_types),
    }


def send_a_message(sdk: StreamChat, text: str = "hello") -> None:
    sdk.upsert_users([{"id": "ann"}, {"id": "ben"}])
    channel = sdk.channel("messaging", "dm-ann-ben", {"members": ["ann", "ben"]})
    channel.create("ann")
    channel.send_message({"text": text}, "ann")


def delivered(emulator: Emulator, event_type: str = "message.new") -> list[dict[str, Any]]:
    emulator.wait_for_webhooks()
    return [d for d in emulator.webhook_deliveries() if d["type"] == event_type]


def test_each_event_is_one_signed_post_with_streams_headers(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk, "signed")

    [delivery] = delivered(stream_emulator)
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    secret = stream_emulator.api_secret.encode()
    assert headers["X-Signature"] == hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert headers["X-Api-Key"] == stream_emulator.api_key
    assert headers["X-Webhook-Id"] == delivery["id"]
    assert headers["X-Webhook-Attempt"] == "1"
    assert headers["Content-Type"] == "application/json"
    assert "Content-Encoding" not in headers
    event = json.loads(body)
    assert (event["type"], event["cid"], event["user"]["id"]) == (
        "message.new",
        "messaging:dm-ann-ben",
        "ann",
    )
    assert event["message"]["text"] == "signed"
    assert {m["user_id"] for m in event["members"]} == {"ann", "ben"}
    assert all(
        "online" in m["user"] and "channel_unread_count" in m["user"] for m in event["members"]
    )
    assert "watcher_count" not in event


def test_get_app_reflects_the_hooks(sdk: StreamChat, receiver: Receiver) -> None:
    sdk.update_app_settings(event_hooks=[hook(receiver.url)], webhook_url=receiver.url + "/legacy")

    app = sdk.get_app_settings()["app"]

    assert app["event_hooks"][0]["webhook_url"] == receiver.url
    assert app["webhook_url"] == receiver.url + "/legacy"


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_retryable_answers_are_retried_with_the_same_id(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver, status: int
) -> None:
    receiver.statuses = [status, status]
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk)

    [delivery] = delivered(stream_emulator)
    assert [a["status"] for a in delivery["attempts"]] == [status, status, 200]
    assert delivery["status"] == "delivered"
    assert {r["headers"]["X-Webhook-Id"] for r in receiver.requests} == {delivery["id"]}
    assert [r["headers"]["X-Webhook-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert len({r["body"] for r in receiver.requests}) == 1


def test_three_attempts_at_most(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500, 500, 500]
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk)

    [delivery] = delivered(stream_emulator)
    assert len(delivery["attempts"]) == 3
    assert delivery["status"] == "failed"


@pytest.mark.parametrize("status", [400, 401, 404, 413])
def test_other_client_errors_are_not_retried(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver, status: int
) -> None:
    receiver.statuses = [status]
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk)

    [delivery] = delivered(stream_emulator)
    assert [a["status"] for a in delivery["attempts"]] == [status]
    assert delivery["status"] == "failed"


def test_a_network_error_gets_two_attempts(sdk: StreamChat, stream_emulator: Emulator) -> None:
    nobody = Receiver()
    nobody.close()  # a port where nothing listens any more
    sdk.update_app_settings(event_hooks=[hook(nobody.url, "message.new")])
    send_a_message(sdk)

    [delivery] = delivered(stream_emulator)
    assert [a["error"] for a in delivery["attempts"]] == ["network", "network"]
    assert delivery["status"] == "failed"


def test_timeouts_are_retried_within_the_overall_limit(
    sdk: StreamChat,
    stream_emulator: Emulator,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Stream's 6 s per attempt and 15 s in all, scaled down 30 times.
    monkeypatch.setattr(emulator_webhooks, "ATTEMPT_TIMEOUT", 0.2)
    monkeypatch.setattr(emulator_webhooks, "TOTAL_TIMEOUT", 0.5)
    receiver.stall_seconds = 0.4
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk)

    [delivery] = delivered(stream_emulator)
    errors = [a["error"] for a in delivery["attempts"]]
    assert errors == ["timeout", "timeout", "timeout"]
    assert delivery["status"] == "failed"


def test_the_overall_limit_stops_retries(
    sdk: StreamChat,
    stream_emulator: Emulator,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(emulator_webhooks, "ATTEMPT_TIMEOUT", 0.3)
    monkeypatch.setattr(emulator_webhooks, "TOTAL_TIMEOUT", 0.45)
    receiver.stall_seconds = 0.5
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk)

    [delivery] = delivered(stream_emulator)
    assert len(delivery["attempts"]) == 2  # the second was cut to what remained of the limit
    assert delivery["status"] == "failed"


def test_compression_gzips_the_body_and_signs_the_uncompressed_json(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    sdk.update_app_settings(
        event_hooks=[hook(receiver.url, "message.new")], enable_hook_payload_compression=True
    )
    send_a_message(sdk, "squeezed")
    stream_emulator.wait_for_webhooks()

    [request] = receiver.requests
    assert request["headers"]["Content-Encoding"] == "gzip"
    body = gzip.decompress(request["body"])
    secret = stream_emulator.api_secret.encode()
    assert request["headers"]["X-Signature"] == hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert json.loads(body)["message"]["text"] == "squeezed"


def test_event_types_disabled_hooks_and_the_legacy_url_are_honoured(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    sdk.update_app_settings(
        event_hooks=[
            hook(receiver.url + "/channels", "channel.created"),
            hook(receiver.url + "/off", enabled=False),
            {"hook_type": "sqs", "sqs_queue_url": "https://sqs.example/q", "event_types": []},
        ],
        webhook_url=receiver.url + "/legacy",
        webhook_events=["message.new"],
    )
    send_a_message(sdk)
    stream_emulator.wait_for_webhooks()

    sent = sorted(
        (d["url"].rsplit("/", 1)[1], d["type"]) for d in stream_emulator.webhook_deliveries()
    )
    assert sent == [("channels", "channel.created"), ("legacy", "message.new")]
    assert len(receiver.requests) == 2


def test_an_empty_event_type_list_means_every_webhook_event_but_no_websocket_only_ones(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    sdk.update_app_settings(event_hooks=[hook(receiver.url)])
    send_a_message(sdk)
    sdk.channel("messaging", "dm-ann-ben").send_event({"type": "typing.start"}, "ann")
    stream_emulator.wait_for_webhooks()

    types = {json.loads(r["body"])["type"] for r in receiver.requests}
    assert {"user.updated", "channel.created", "message.new"} <= types
    assert not any(t.startswith(("typing.", "notification.", "health.")) for t in types)


def test_a_large_channel_lists_fifty_members(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    ids = [f"member-{i}" for i in range(60)]
    sdk.upsert_users([{"id": uid} for uid in ids])
    channel = sdk.channel("messaging", "crowd", {"members": ids[:50]})
    channel.create(ids[0])
    channel.add_members(ids[50:])
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])

    channel.send_message({"text": "all of you"}, ids[0])

    [delivery] = delivered(stream_emulator)
    assert len(delivery["payload"]["members"]) == 50


def test_no_hooks_means_no_requests(sdk: StreamChat, stream_emulator: Emulator) -> None:
    send_a_message(sdk)

    assert stream_emulator.webhook_deliveries() == []


def test_reset_forgets_deliveries(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk)
    stream_emulator.wait_for_webhooks()

    stream_emulator.reset()

    assert stream_emulator.webhook_deliveries() == []
    assert sdk.get_app_settings()["app"]["event_hooks"] == []


def test_a_bad_hook_is_refused(sdk: StreamChat) -> None:
    with pytest.raises(StreamAPIException) as refused:
        sdk.update_app_settings(enable_hook_payload_compression="yes")

    assert refused.value.status_code == 400


def test_a_stopped_emulator_closes_its_webhook_session(receiver: Receiver) -> None:
    with Emulator(api_key="k", api_secret="s" * 32, webhook_retry_delay=0) as emulator:
        sdk = StreamChat("k", "s" * 32, base_url=emulator.url)
        sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
        send_a_message(sdk)
        emulator.wait_for_webhooks()
        [delivery] = emulator.webhook_deliveries()
    session = emulator.emulation.webhooks._session

    assert delivery["status"] == "delivered"
    assert session is None


def test_only_the_latest_deliveries_are_kept(
    sdk: StreamChat,
    stream_emulator: Emulator,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sender = stream_emulator.emulation.webhooks
    monkeypatch.setattr(sender, "deliveries", deque(maxlen=2))
    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk, "one")
    channel = sdk.channel("messaging", "dm-ann-ben")
    channel.send_message({"text": "two"}, "ann")
    channel.send_message({"text": "three"}, "ann")

    kept = delivered(stream_emulator)
    assert [d["payload"]["message"]["text"] for d in kept] == ["two", "three"]
    assert len(receiver.requests) == 3


def test_the_deliveries_are_listed_over_http_too(
    sdk: StreamChat, stream_emulator: Emulator, receiver: Receiver
) -> None:
    import requests

    sdk.update_app_settings(event_hooks=[hook(receiver.url, "message.new")])
    send_a_message(sdk, "listed")
    stream_emulator.wait_for_webhooks()

    listed = requests.get(stream_emulator.url + "/_emulator/webhooks", timeout=5).json()

    assert listed == {"webhooks": stream_emulator.webhook_deliveries()}
    assert listed["webhooks"][0]["payload"]["message"]["text"] == "listed"
