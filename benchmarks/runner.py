"""What every section shares: the options, the emulator, the results, and a way to count Stream
calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .processes import EmulatorProcess
from .report import Row

LATENCY_MS = 20
#: A user-update limit no run reaches (the emulator's default is Stream's 300 a minute).
UNLIMITED = {"rate_limit": {"UpdateUsers": 10**9}}


@dataclass
class Sizes:
    """How much each section does: the defaults finish in a few minutes, ``--quick`` in seconds."""

    load_seconds: float = 5.0
    load_warmup: float = 0.3
    #: Interleaved rounds per compared figure (each side's best round counts).
    rounds: int = 5
    concurrency: tuple[int, ...] = (1, 16)
    count_requests: int = 20
    saves: int = 30
    backfill: tuple[int, ...] = (10_000,)
    loop_sample: int = 300
    backfill_rounds: int = 2
    rate_limited_users: int = 20_000
    #: Stream's 300 user updates a minute, scaled to this window (same rate, shorter windows).
    rate_window_s: float = 10.0
    channel_repeats: int = 20
    emulator_seconds: float = 3.0
    startup_repeats: int = 3
    watchers: int = 100
    fanout_messages: int = 21
    inbox_conversations: int = 50
    inbox_runs: int = 5

    @classmethod
    def quick(cls) -> Sizes:
        return cls(
            load_seconds=0.3,
            load_warmup=0.1,
            rounds=1,
            count_requests=3,
            saves=3,
            backfill=(250,),
            loop_sample=20,
            backfill_rounds=1,
            rate_limited_users=1500,
            rate_window_s=1.0,
            channel_repeats=3,
            emulator_seconds=0.3,
            startup_repeats=1,
            watchers=10,
            fanout_messages=2,
            inbox_conversations=5,
            inbox_runs=1,
        )


@dataclass
class Run:
    sizes: Sizes
    emulator: EmulatorProcess
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print

    def add(self, row: Row) -> None:
        self.rows.append(row)

    @contextmanager
    def stream_calls(self) -> Iterator[list[dict[str, Any]]]:
        """Collect the Stream calls made inside the block (the emulator's request log)."""
        calls: list[dict[str, Any]] = []
        self.emulator.clear_requests()
        yield calls
        calls.extend(self.emulator.requests())

    def latency(self, **faults: Any) -> None:
        """The realistic round trip every comparison is measured against.

        Stream's rate limits are lifted unless ``faults`` set them: the app obeys the limit headers
        the emulator always sends, the hand-rolled code ignores them, and the emulator enforces
        nothing by default, so leaving them in would hold back only the side that behaves.
        """
        self.emulator.set_faults(**{"latency_ms": LATENCY_MS, **UNLIMITED, **faults})


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result
