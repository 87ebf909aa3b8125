"""A closed-loop HTTP load generator: N clients on keep-alive connections, for a fixed time.

Each client sends its next request as soon as the previous answer is in (closed loop), so requests
per second at 1 client measure latency and at 16 clients measure what the server can do
concurrently.

Two implementations of the same loop: ``wrk`` (C, Debian's package; ``make bench`` installs it)
when it is on PATH, else Python threads on ``http.client``. The Python client spends about 0.2 ms
of CPU per request (wrk 0.04 ms), on the same two cores as the server it measures: at 1 client
that is added to every round trip, at 16 clients it takes CPU from the server. ``BENCH_LOADGEN=
python`` forces the Python one. Every figure says which generator produced it."""

from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
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


#: wrk's Lua side: the request, every answer's status, and the latency quantiles at the end.
WRK_SCRIPT = """
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[#counts + 1] = string.format('"%%d": %%d', status, n)
    end
  end
  local quantiles = {}
  for i = 0, %(quantiles)d - 1 do
    quantiles[#quantiles + 1] = latency:percentile((i + 0.5) * 100 / %(quantiles)d)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %%d, "duration_us": %%d, "socket_errors": %%d, ' ..
    '"statuses": {%%s}, "quantiles_us": [%%s]}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    table.concat(counts, ", "), table.concat(quantiles, ", ")))
end
"""
QUANTILES = 1000


def load_generator() -> str:
    """``"wrk"`` when wrk is installed (and not overridden by ``BENCH_LOADGEN=python``)."""
    if os.environ.get("BENCH_LOADGEN", "wrk") == "wrk" and shutil.which("wrk"):
        return "wrk"
    return "python"


def _lua(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for these values


def wrk_load(
    url: str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    clients: int = 1,
    seconds: float = 2.0,
    ok: tuple[int, ...] = (200,),
) -> Load:
    """``clients`` keep-alive connections from one wrk thread for ``seconds`` (whole seconds, at
    least 1: wrk's own unit). Latencies come back as quantiles of wrk's histogram, one sample per
    answer, so that rounds pool like the Python generator's."""
    sent = {"Content-Length": str(len(body)), **(headers or {})}
    script = WRK_SCRIPT % {
        "method": _lua(method),
        "body": _lua(body.decode()),
        "headers": "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in sent.items()),
        "quantiles": QUANTILES,
    }
    duration = max(1, math.ceil(seconds))
    command = ["wrk", "--threads", "1", "--connections", str(clients), "--timeout", "30s"]
    command += ["--duration", f"{duration}s"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        run = subprocess.run(
            [*command, "--script", file.name, url],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=False,
        )
    finally:
        Path(file.name).unlink()
    lines = [line for line in run.stdout.splitlines() if line.startswith("WRK-RESULT ")]
    if run.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({run.returncode}): {run.stdout[-1500:]}{run.stderr}")
    result = json.loads(lines[-1].split(" ", 1)[1])
    load = Load(clients=clients, seconds=result["duration_us"] / 1e6)
    load.statuses = {int(status): count for status, count in result["statuses"].items()}
    load.requests = sum(load.statuses.values())
    load.errors = result["socket_errors"] + sum(
        count for status, count in load.statuses.items() if status not in ok
    )
    quantiles = [us / 1000 for us in result["quantiles_us"]]
    load.latencies_ms = [
        quantiles[i * len(quantiles) // load.requests] for i in range(load.requests)
    ]
    return load


def measure_load(
    url: str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    clients: int = 1,
    seconds: float = 2.0,
    warmup: float = 0.5,
    ok: tuple[int, ...] = (200,),
    generator: str | None = None,
) -> Load:
    """One measured load with the best generator there is: wrk, else the Python threads.

    With wrk the warm-up is a short Python load first (its answers count as warm-up requests)."""
    if (generator or load_generator()) != "wrk":
        return run_load(
            url,
            method=method,
            headers=headers,
            body=body,
            clients=clients,
            seconds=seconds,
            warmup=warmup,
            ok=ok,
        )
    warm = (
        run_load(
            url,
            method=method,
            headers=headers,
            body=body,
            clients=clients,
            seconds=warmup,
            warmup=0.0,
            ok=ok,
        )
        if warmup > 0
        else None
    )
    load = wrk_load(
        url, method=method, headers=headers, body=body, clients=clients, seconds=seconds, ok=ok
    )
    if warm is not None:
        load.warmup_requests = warm.requests + warm.warmup_requests
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
