"""Heartbeats (reference §1.4) with the real JS SDK: idle connections must not be dropped.

The SDK's own timers are shortened inside the Node scenario; the emulator keeps its real rules
(answer every client ping; push a ``health.check`` after ``heartbeat_interval`` s of silence).
"""

from __future__ import annotations

from typing import Any

import pytest

from django_streaminbox.emulator import Emulator

from .node import API_KEY, API_SECRET, run_node

pytestmark = pytest.mark.node


def run_idle(scenario: str, heartbeat_interval: float) -> dict[str, Any]:
    with Emulator(
        api_key=API_KEY, api_secret=API_SECRET, heartbeat_interval=heartbeat_interval
    ) as emulator:
        result = run_node("heartbeat.mjs", emulator, scenario, timeout=60)
    outcome = result["scenarios"][scenario]
    assert outcome["error"] is None, f"{outcome}\n{result['stderr']}"
    observed: dict[str, Any] = outcome["observed"]
    return observed


def test_client_pings_are_answered() -> None:
    # The default 30 s server heartbeat never fires here: every health.check is an answer to a ping.
    seen = run_idle("client_pings_are_answered", heartbeat_interval=30.0)
    assert seen["pings_sent"] >= 3
    assert seen["health_checks_received"] >= 3
    assert (seen["same_connection"], seen["healthy"], seen["recoveries"]) == (True, True, 0)


def test_server_heartbeats_keep_a_silent_client_alive() -> None:
    seen = run_idle("server_heartbeats_keep_a_silent_client_alive", heartbeat_interval=1.0)
    assert seen["pings_sent"] == 0
    assert seen["health_checks_received"] >= 3
    assert (seen["same_connection"], seen["healthy"], seen["recoveries"]) == (True, True, 0)
