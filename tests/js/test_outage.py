"""An emulator outage while the real JS SDK is connected: it reconnects and catches up by itself.

This is what a developer sees when the demo's emulator restarts: the inbox goes offline, comes back
and keeps working, with no page reload.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_streaminbox.emulator import Emulator

from .node import API_KEY, API_SECRET, run_node

pytestmark = pytest.mark.node


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=API_KEY, api_secret=API_SECRET, host="127.0.0.1", port=0) as running:
        yield running


def test_sdk_reconnects_and_rewatches_after_an_outage(emulator: Emulator) -> None:
    def outage() -> None:
        emulator.stop()  # closes every socket with 1001 (going away); state stays in memory
        emulator.start()  # same port

    result = run_node("outage.mjs", emulator, pauses={"outage": outage}, timeout=90)
    scenario = result["scenarios"]["reconnects_after_outage"]
    assert scenario["error"] is None, f"{scenario}\n{result['stderr']}"
    seen = scenario["observed"]
    assert seen["close_code"] == 1001  # "going away": not 1000, which would tell the SDK to give up
    assert seen["connection_id_changed"] is True
    assert seen["healthy"] is True
    assert seen["after_text"] == "after the outage"
    assert seen["history"] == ["before the outage", "after the outage", "reply after the outage"]
    assert result["exit_code"] == 0
