"""Fan-out: 200 WebSocket connections watch one channel; each gets 1,000 messages once, in order.

Real `stream-chat` clients and bare-protocol `ws` clients (same /connect handshake and REST watch)
share the 200 connections; see ``fanout.mjs`` for the knobs. Timings are printed for the record,
never asserted (speed is measured in benchmarks/).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from django_streaminbox.emulator import Emulator

from .node import API_KEY, API_SECRET, run_node

pytestmark = [pytest.mark.node, pytest.mark.slow]

CONNECTIONS = 200
MESSAGES = 1000


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=API_KEY, api_secret=API_SECRET, host="127.0.0.1", port=0) as running:
        yield running


def test_every_watcher_gets_every_message_once_in_order(
    emulator: Emulator, record_property: pytest.RecordProperty
) -> None:
    result = run_node(
        "fanout.mjs",
        emulator,
        env={"FANOUT_CONNECTIONS": str(CONNECTIONS), "FANOUT_MESSAGES": str(MESSAGES)},
        timeout=180,
    )
    record_property("fanout_timings", result.get("timings"))
    print("fan-out timings:", json.dumps(result.get("timings")))
    summary = {key: value for key, value in result.items() if key != "stderr"}
    assert "error" not in result, json.dumps(summary, indent=2) + "\n" + result["stderr"]
    assert result["connections"] == CONNECTIONS
    assert result["sdk_clients"] > 0, "at least some connections must be real SDK clients"
    assert result["timed_out"] is False, json.dumps(summary, indent=2)
    assert result["failures"] == [], json.dumps(summary, indent=2)
    assert result["total_received"] == CONNECTIONS * MESSAGES
    assert result["history_has_every_send"] is True
    assert result["exit_code"] == 0
