"""The benchmark harness runs end to end (``--quick``, tiny sizes) and writes well-formed results.

Timings are never asserted (2 shared cores; see the README's Performance section). What is asserted
is what does not depend on the machine: how many Stream calls each path makes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench") / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--quiet", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    document: dict[str, Any] = json.loads(out.read_text())
    document["stdout"] = run.stdout
    return document


def test_every_row_is_well_formed(results: dict[str, Any]) -> None:
    sections = {row["section"] for row in results["rows"]}
    assert sections == {
        "Token endpoint",
        "User saves",
        "Backfill",
        "Direct channel",
        "Emulator",
        "Inbox",
    }
    for row in results["rows"]:
        assert row["metric"] and row["unit"], row
        assert isinstance(row["value"], (int, float)), row
        if row["baseline"]:
            assert isinstance(row["baseline_value"], (int, float)), row
        if row["target"]:
            assert row["met"] in (True, False), row
    assert results["details"]["errors"] == {}
    assert "Token endpoint" in results["stdout"]  # the table is printed too


def test_token_endpoint_makes_no_stream_call_for_a_synced_user(results: dict[str, Any]) -> None:
    token = results["details"]["token"]
    assert token["app"]["stream_calls_per_request"] == 0
    assert token["hand-rolled"]["stream_calls_per_request"] == 1
    assert token["floor"]["stream_calls_per_request"] == 0
    for name in ("app", "hand-rolled", "floor"):
        assert token[name]["counted_statuses"] == {"200": token[name]["counted_requests"]}
        assert token[name]["c16"]["errors"] == 0


def test_only_a_change_that_stream_sees_costs_a_call(results: dict[str, Any]) -> None:
    saves = results["details"]["saves"]
    assert saves["login"]["app_calls"] == 0
    assert saves["no-op save"]["app_calls"] == 0
    assert saves["name change"]["app_calls"] == 1
    for name in ("login", "no-op save", "name change"):
        assert saves[name]["handler_calls"] == 1  # the plain handler upserts on every save


def test_backfill_sends_one_call_per_hundred_users(results: dict[str, Any]) -> None:
    backfill = results["details"]["backfill"]
    sizes = results["options"]["sizes"]
    for size in sizes["backfill"]:
        figures = backfill[str(size)]
        assert figures["app"]["users"] == size
        assert figures["app"]["stream_calls"] == math.ceil(size / 100)
        sample = min(size, sizes["loop_sample"])
        assert figures["loop"]["stream_calls"] == figures["loop"]["users"] == sample
    limited = backfill["rate_limited"]
    assert limited["users"] == sizes["rate_limited_users"]
    assert limited["calls"] == math.ceil(limited["users"] / 100) + limited["429s"]


def test_repeated_direct_channel_request_costs_at_most_one_call(results: dict[str, Any]) -> None:
    channel = results["details"]["channel"]
    assert channel["app"]["repeat_calls"] <= 1
    assert channel["hand-rolled"]["repeat_calls"] == 1
    assert channel["app"]["statuses"] == [200]


def test_emulator_and_inbox_figures_cover_every_watcher(results: dict[str, Any]) -> None:
    sizes = results["options"]["sizes"]
    emulator = results["details"]["emulator"]
    assert emulator["fanout_messages"] >= 1
    expected = sizes["watchers"] * emulator["fanout_messages"]
    assert emulator["fanout_ms"]["samples"] == emulator["floor_fanout_ms"]["samples"] == expected
    inbox = results["details"]["inbox"]
    assert len(inbox["app"]["first_conversation_ms"]) == sizes["inbox_runs"]
    assert inbox["bytes"]["ours_gzip"] > 0 and inbox["bytes"]["sdk_gzip"] > 0
