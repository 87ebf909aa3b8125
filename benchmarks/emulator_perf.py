"""5. Emulator: start-up time, REST requests per second, message fan-out latency to 100 watchers.

Measured against a bare aiohttp server that speaks just enough of the protocol (``floor_server``),
with no injected latency: these figures are the emulator's own cost, not a simulated network."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jwt

from .loadgen import run_load
from .processes import API_KEY, API_SECRET, EmulatorProcess, ListeningProcess
from .report import Row
from .runner import Run
from .stats import percentile

SERVER_TOKEN = jwt.encode({"server": True}, API_SECRET, algorithm="HS256")
SERVER_HEADERS = {
    "Authorization": SERVER_TOKEN,
    "stream-auth-type": "jwt",
    "Content-Type": "application/json",
}


def floor_process() -> ListeningProcess:
    return ListeningProcess([sys.executable, "-m", "benchmarks.floor_server"])


def startup(factory: Any, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        with factory() as server:
            times.append(server.startup_s)
    return min(times)


def rest_rps(url: str, clients: int, bench: Run) -> dict[str, Any]:
    body = json.dumps({"users": {"bench-rest": {"id": "bench-rest", "name": "Rest"}}}).encode()
    load = run_load(
        f"{url}/users?api_key={API_KEY}",
        headers=SERVER_HEADERS,
        body=body,
        clients=clients,
        seconds=bench.sizes.emulator_seconds,
        warmup=min(0.5, bench.sizes.emulator_seconds),
    )
    summary = load.summary()
    # 201 is what Stream answers to POST; the load generator counts non-200 as errors.
    summary["errors"] = sum(v for k, v in summary["statuses"].items() if k not in {"200", "201"})
    return summary


def fanout(url: str, watchers: int, messages: int, channel_id: str) -> list[float]:
    """Milliseconds from sending a message to each watcher receiving ``message.new``."""
    return asyncio.run(asyncio.wait_for(_fanout(url, watchers, messages, channel_id), 300))


async def _fanout(url: str, watchers: int, messages: int, channel_id: str) -> list[float]:
    ids = [f"watcher-{i}" for i in range(watchers)]
    ws_base = "ws" + url[len("http") :]
    latencies: list[float] = []
    # No connection limit: 100 open WebSockets would otherwise take every slot of the pool.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        users = {uid: {"id": uid, "name": uid} for uid in ids}
        await _post(http, f"{url}/users", {"users": users})
        await _post(
            http,
            f"{url}/channels/messaging/{channel_id}/query",
            {"data": {"members": ids, "created_by_id": ids[0]}, "state": False},
        )
        arrivals: dict[str, dict[str, float]] = {}
        waiting: dict[str, asyncio.Event] = {}

        async def watch(uid: str) -> aiohttp.ClientWebSocketResponse:
            token = jwt.encode({"user_id": uid}, API_SECRET, algorithm="HS256")
            params = {
                "json": json.dumps(
                    {
                        "user_id": uid,
                        "user_details": {"id": uid},
                        "client_request_id": str(uuid.uuid4()),
                    }
                ),
                "api_key": API_KEY,
                "authorization": token,
                "stream-auth-type": "jwt",
            }
            ws = await http.ws_connect(f"{ws_base}/connect?{urlencode(params)}", heartbeat=None)
            hello = json.loads((await ws.receive()).data)
            query = urlencode(
                {"api_key": API_KEY, "user_id": uid, "connection_id": hello["connection_id"]}
            )
            await _post(
                http,
                f"{url}/channels/messaging/{channel_id}/query?{query}",
                {"state": True, "watch": True, "presence": False},
                headers={
                    "Authorization": token,
                    "stream-auth-type": "jwt",
                    "Content-Type": "application/json",
                },
            )
            return ws

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            async for frame in ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                event = json.loads(frame.data)
                if event.get("type") != "message.new":
                    continue
                mid = event["message"]["id"]
                got = arrivals.setdefault(mid, {})
                got[str(id(ws))] = time.perf_counter()
                if len(got) >= watchers and mid in waiting:
                    waiting[mid].set()

        sockets = [await watch(uid) for uid in ids]
        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        for n in range(messages):
            mid = f"fanout-{uuid.uuid4().hex[:12]}"
            waiting[mid] = asyncio.Event()
            body = {"message": {"id": mid, "text": f"message {n}", "user": {"id": ids[0]}}}
            sent = time.perf_counter()
            await _post(http, f"{url}/channels/messaging/{channel_id}/message", body)
            await asyncio.wait_for(waiting[mid].wait(), timeout=30)
            latencies += [(t - sent) * 1000 for t in arrivals[mid].values()]
            await asyncio.sleep(0.02)
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return latencies


async def _post(
    http: aiohttp.ClientSession,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Any:
    sep = "&" if "?" in url else "?"
    target = url if "api_key=" in url else f"{url}{sep}api_key={API_KEY}"
    async with http.post(target, json=body, headers=headers or SERVER_HEADERS) as response:
        answer = await response.json(content_type=None)
        if response.status >= 300:
            raise RuntimeError(f"POST {url} -> {response.status}: {answer}")
        return answer


def run(bench: Run) -> None:
    sizes = bench.sizes
    bench.emulator.reset()
    results: dict[str, Any] = {
        "startup_s": startup(EmulatorProcess, sizes.startup_repeats),
        "floor_startup_s": startup(floor_process, sizes.startup_repeats),
    }
    with floor_process() as floor:
        results["floor_rest"] = {c: rest_rps(floor.url, c, bench) for c in sizes.concurrency}
        results["floor_fanout_ms"] = fanout(
            floor.url, sizes.watchers, sizes.fanout_messages, "fanout"
        )
    results["rest"] = {c: rest_rps(bench.emulator.url, c, bench) for c in sizes.concurrency}
    results["fanout_ms"] = fanout(
        bench.emulator.url, sizes.watchers, sizes.fanout_messages, "fanout"
    )
    bench.emulator.reset()

    bench.add(
        Row(
            "Emulator",
            "start-up (process to listening)",
            results["startup_s"] * 1000,
            "ms",
            "bare aiohttp",
            results["floor_startup_s"] * 1000,
        )
    )
    for clients in sizes.concurrency:
        bench.add(
            Row(
                "Emulator",
                f"REST upsert_users req/s, {clients} client(s)",
                results["rest"][clients]["rps"],
                "req/s",
                "bare aiohttp",
                results["floor_rest"][clients]["rps"],
            )
        )
    for pct in (50, 99):
        bench.add(
            Row(
                "Emulator",
                f"fan-out to {sizes.watchers} watchers, p{pct}",
                percentile(results["fanout_ms"], pct),
                "ms",
                "bare aiohttp",
                percentile(results["floor_fanout_ms"], pct),
            )
        )
    for key in ("fanout_ms", "floor_fanout_ms"):
        samples = results.pop(key)
        results[key] = {
            "samples": len(samples),
            "p50": percentile(samples, 50),
            "p99": percentile(samples, 99),
            "max": max(samples, default=0.0),
        }
    bench.log(
        f"  emulator start-up {results['startup_s'] * 1000:.0f} ms, fan-out p50 "
        f"{results['fanout_ms']['p50']:.1f} ms p99 {results['fanout_ms']['p99']:.1f} ms"
    )
    bench.details["emulator"] = results
