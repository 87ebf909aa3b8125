"""Injected trouble for tests and benchmarks: latency, random failures, a full outage, rate limits.

Set through ``POST /_emulator/faults`` or ``Emulator.set_faults()``; ``{}`` clears everything.
Faults
apply to the Stream API paths only, never to ``/_emulator/`` controls.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .errors import invalid
from .validation import obj


@dataclass
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    status: int = 500
    #: The server is "unreachable": connections are dropped without an HTTP response.
    down: bool = False
    #: Per-endpoint limits per window (e.g. ``{"UpdateUsers": 2}``; ``"*"`` for every endpoint).
    rate_limit: dict[str, int] = field(default_factory=dict)
    rate_limit_window: float = 60.0
    _random: random.Random = field(default_factory=random.Random)

    def clear(self) -> None:
        self.latency_ms = 0.0
        self.error_rate = 0.0
        self.status = 500
        self.down = False
        self.rate_limit = {}
        self.rate_limit_window = 60.0

    def configure(self, spec: dict[str, Any]) -> None:
        """Replace every fault with ``spec``; validated first, so a bad spec changes nothing."""
        spec = obj(spec, "faults")
        known = {"latency_ms", "error_rate", "status", "down", "rate_limit", "seed"}
        unknown = set(spec) - known
        if unknown:
            raise invalid(f"unknown fault(s): {', '.join(sorted(unknown))}")
        latency = _number(spec.get("latency_ms", 0), "latency_ms", 0, 60_000)
        status = spec.get("status")
        if status is not None and (
            isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599
        ):
            raise invalid("status should be an HTTP error status between 400 and 599")
        default_rate = 1.0 if status is not None else 0.0
        rate = _number(spec.get("error_rate", default_rate), "error_rate", 0, 1)
        down = spec.get("down", False)
        if not isinstance(down, bool):
            raise invalid("down should be a boolean")
        limits, window = _rate_limits(spec.get("rate_limit"))
        seed = spec.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise invalid("seed should be an integer")
        self.clear()
        self.latency_ms = latency
        self.error_rate = rate
        self.status = status if status is not None else 500
        self.down = down
        self.rate_limit = limits
        self.rate_limit_window = window
        if seed is not None:
            self._random.seed(seed)

    def should_fail(self) -> bool:
        return self.error_rate > 0 and self._random.random() < self.error_rate

    def as_json(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "error_rate": self.error_rate,
            "status": self.status,
            "down": self.down,
            "rate_limit": {**self.rate_limit, "window_seconds": self.rate_limit_window},
        }


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise invalid(f"{name} should be a number between {low} and {high}")
    return float(value)


def _rate_limits(value: Any) -> tuple[dict[str, int], float]:
    if value is None:
        return {}, 60.0
    spec = dict(obj(value, "rate_limit"))
    window = _number(spec.pop("window_seconds", 60), "rate_limit.window_seconds", 0.01, 3600)
    limits: dict[str, int] = {}
    for endpoint, limit in spec.items():
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
            raise invalid(f"rate_limit.{endpoint} should be a non-negative integer")
        limits[endpoint] = limit
    return limits, window
