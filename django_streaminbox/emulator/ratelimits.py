"""Stream-style per-endpoint rate limits: a one-minute window per endpoint, lowercase headers.

Every response carries ``x-ratelimit-limit``, ``x-ratelimit-remaining`` and ``x-ratelimit-reset``
(unix
seconds), lowercase as the real API sends them (the Python SDK's ``rate_limit()`` looks them up
case-sensitively). Limits are only *enforced* (429, code 9) when the emulator is started with
``enforce_rate_limits`` or a ``rate_limit`` fault names the endpoint.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

#: Stream's documented server-side defaults where known (user updates: 300/min); generous elsewhere.
DEFAULT_LIMITS = {
    "UpdateUsers": 300,
    "UpdateUsersPartial": 300,
    "QueryUsers": 10_000,
    "QueryChannels": 10_000,
    "GetOrCreateChannel": 10_000,
    "SendMessage": 10_000,
}
DEFAULT_LIMIT = 10_000


@dataclass
class Window:
    started: float
    count: int = 0


@dataclass(frozen=True)
class Verdict:
    limit: int
    remaining: int
    reset: int
    allowed: bool

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }


class RateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, Window] = {}

    def reset(self) -> None:
        self._windows.clear()

    def hit(
        self, endpoint: str, overrides: dict[str, int], window_seconds: float, enforce: bool
    ) -> Verdict:
        """Count one call to ``endpoint`` and say whether it is within its limit."""
        override = overrides.get(endpoint, overrides.get("*"))
        limit = override if override is not None else DEFAULT_LIMITS.get(endpoint, DEFAULT_LIMIT)
        moment = time.time()
        window = self._windows.get(endpoint)
        if window is None or moment - window.started >= window_seconds:
            window = self._windows[endpoint] = Window(started=moment)
        reset = int(window.started + window_seconds) + 1
        enforced = enforce or override is not None
        if enforced and window.count >= limit:
            return Verdict(limit, 0, reset, allowed=False)
        window.count += 1
        return Verdict(limit, max(limit - window.count, 0), reset, allowed=True)

    def snapshot(self, endpoints: list[str] | None = None) -> dict[str, dict[str, int]]:
        """``GET /rate_limits`` shape: ``{endpoint: {limit, remaining, reset}}``."""
        names = endpoints or sorted(set(DEFAULT_LIMITS) | set(self._windows))
        result = {}
        moment = time.time()
        for name in names:
            limit = DEFAULT_LIMITS.get(name, DEFAULT_LIMIT)
            window = self._windows.get(name)
            used = window.count if window and moment - window.started < 60 else 0
            reset = int(window.started + 60) + 1 if window else int(moment + 60)
            result[name] = {"limit": limit, "remaining": max(limit - used, 0), "reset": reset}
        return result
