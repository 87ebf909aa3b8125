"""A closed-loop HTTP load generator: N clients on keep-alive connections, for a fixed time.

Each client sends its next request as soon as the previous answer is in (closed loop), so requests
per second at 1 client measure latency and at 16 clients measure what the server can do
concurrently."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .stats import percentile


@dataclass
class Load:
    clients: int
    seconds: float
    requests: int = 0
    #: Answers received before measuring started (and after it stopped): they cost server CPU too.
    warmup_requests: int = 0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, object]:
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p99_ms": round(percentile(self.latencies_ms, 99), 2),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def run_load(
    url: str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    clients: int = 1,
    seconds: float = 2.0,
    warmup: float = 0.5,
    max_requests: int | None = None,
    ok: tuple[int, ...] = (200,),
) -> Load:
    """Hammer ``url`` from ``clients`` threads; only the requests after ``warmup`` are counted.

    ``max_requests`` bounds the measured phase too (whichever comes first), so a slow baseline
    cannot stretch a run.
    """
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    sent_headers = {"Content-Length": str(len(body)), **(headers or {})}
    load = Load(clients=clients, seconds=0.0)
    lock = threading.Lock()
    start_measuring = threading.Event()
    stop = threading.Event()
    counted = [0]

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        unmeasured = 0
        while not stop.is_set():
            measuring = start_measuring.is_set()
            began = time.perf_counter()
            try:
                conn.request(method, target, body=body, headers=sent_headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                status = 0
            elapsed = (time.perf_counter() - began) * 1000
            if not measuring or stop.is_set():
                unmeasured += 1
                continue
            statuses[status] = statuses.get(status, 0) + 1
            if status not in ok:
                errors += 1
            mine.append(elapsed)
            if max_requests is not None:
                with lock:
                    counted[0] += 1
                    if counted[0] >= max_requests:
                        stop.set()
        conn.close()
        with lock:
            load.warmup_requests += unmeasured
            load.latencies_ms.extend(mine)
            load.errors += errors
            for status, count in statuses.items():
                load.statuses[status] = load.statuses.get(status, 0) + count

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    start_measuring.set()
    began = time.perf_counter()
    stop.wait(seconds)
    stop.set()
    load.seconds = time.perf_counter() - began
    for thread in threads:
        thread.join(timeout=35)
    load.requests = len(load.latencies_ms)
    return load


def merged(loads: list[Load]) -> dict[str, object]:
    """Rounds of the same load as one figure: the best round's rate, every latency pooled.

    The things compared run in interleaved rounds, and each keeps its best round (as ``timeit``
    keeps its fastest run): on a shared machine a round is only ever slowed down by other work,
    never sped up, so the best round is the one closest to what the code itself costs.
    """
    pooled = Load(clients=loads[0].clients, seconds=sum(load.seconds for load in loads))
    for load in loads:
        pooled.requests += load.requests
        pooled.errors += load.errors
        pooled.latencies_ms.extend(load.latencies_ms)
        for status, count in load.statuses.items():
            pooled.statuses[status] = pooled.statuses.get(status, 0) + count
    summary = pooled.summary()
    rates = sorted(load.rps for load in loads)
    summary["rps"] = round(rates[-1], 1)
    summary["rps_rounds"] = [round(rate, 1) for rate in rates]
    return summary


def send_sequentially(
    url: str, *, count: int, headers: dict[str, str] | None = None, body: bytes = b""
) -> dict[int, int]:
    """``count`` POSTs one after the other on one connection: how many answered each status.

    For counting what each request costs (Stream calls): nothing else is in flight meanwhile.
    """
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent_headers = {"Content-Length": str(len(body)), **(headers or {})}
    statuses: dict[int, int] = {}
    try:
        for _ in range(count):
            conn.request("POST", parts.path, body=body, headers=sent_headers)
            response = conn.getresponse()
            response.read()
            statuses[response.status] = statuses.get(response.status, 0) + 1
    finally:
        conn.close()
    return statuses
