"""Heartbeats (reference §1.4) with the real JS SDK: idle connections must not be dropped.

The SDK's own timers are shortened inside the Node scenarios (its watchdog reconnects a socket that
stays silent too long); the emulator keeps its real rules, on a 1 s interval: answer every client
ping, and push a ``health.check`` after ``heartbeat_interval`` seconds of silence from the client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from django_streaminbox.emulator import Emulator

from .node import API_KEY, API_SECRET, run_node

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def idle_run() -> Iterator[dict[str, Any]]:
    with Emulator(api_key=API_KEY, api_secret=API_SECRET, heartbeat_interval=1.0) as emulator:
        yield run_node("heartbeat.mjs", emulator, timeout=60)


def observed(run: dict[str, Any], scenario: str) -> dict[str, Any]:
    outcome = run["scenarios"][scenario]
    assert outcome["error"] is None, f"{outcome}\n{run['stderr']}"
    seen: dict[str, Any] = outcome["observed"]
    return seen


def test_client_pings_are_answered(idle_run: dict[str, Any]) -> None:
    # Pinging every 300 ms keeps the server's 1 s silence timer from firing: only answers arrive.
    seen = observed(idle_run, "client_pings_are_answered")
    assert seen["pings_sent"] >= 3
    assert seen["health_checks_received"] >= 3
    assert (seen["same_connection"], seen["healthy"], seen["recoveries"]) == (True, True, 0)


def test_server_heartbeats_keep_a_silent_client_alive(idle_run: dict[str, Any]) -> None:
    seen = observed(idle_run, "server_heartbeats_keep_a_silent_client_alive")
    assert seen["pings_sent"] == 0
    assert seen["health_checks_received"] >= 3
    assert (seen["same_connection"], seen["healthy"], seen["recoveries"]) == (True, True, 0)
