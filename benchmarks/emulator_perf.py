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

from .loadgen import Load, merged, run_load
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


def rest_load(url: str, clients: int, bench: Run, rounds: int) -> Load:
    """``upsert_users`` of one user, as fast as ``clients`` closed-loop clients can send it."""
    body = json.dumps({"users": {"bench-rest": {"id": "bench-rest", "name": "Rest"}}}).encode()
    seconds = bench.sizes.emulator_seconds / rounds
    return run_load(
        f"{url}/users?api_key={API_KEY}",
        headers=SERVER_HEADERS,
        body=body,
        clients=clients,
        seconds=seconds,
        warmup=min(0.3, seconds),
        ok=(200, 201),  # 201 is what Stream answers to POST
    )


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
        current = [""]
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
                arrived = time.perf_counter()  # before any parsing: the client's cost stays out
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                mid = current[0]
                # A substring test, not json.loads: 100 sockets share this one client loop, and
                # parsing each (large) event would make the last socket wait for the others.
                if f'"{mid}"' not in frame.data or '"message.new"' not in frame.data:
                    continue
                got = arrivals.setdefault(mid, {})
                got[str(id(ws))] = arrived
                if len(got) >= watchers and mid in waiting:
                    waiting[mid].set()

        sockets = [await watch(uid) for uid in ids]
        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        for n in range(messages):
            mid = current[0] = f"fanout-{uuid.uuid4().hex[:12]}"
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
    started: dict[str, list[float]] = {"emulator": [], "floor": []}
    for _ in range(sizes.startup_repeats):  # alternated, fastest of each kept
        started["emulator"].append(startup(EmulatorProcess, 1))
        started["floor"].append(startup(floor_process, 1))
    results: dict[str, Any] = {
        "startup_s": min(started["emulator"]),
        "floor_startup_s": min(started["floor"]),
    }
    rounds = max(1, sizes.rounds)
    rest: dict[str, dict[int, list[Load]]] = {
        side: {c: [] for c in sizes.concurrency} for side in ("emulator", "floor")
    }
    fan: dict[str, list[float]] = {"emulator": [], "floor": []}
    per_round = max(1, sizes.fanout_messages // rounds)
    with floor_process() as floor:
        urls = {"emulator": bench.emulator.url, "floor": floor.url}
        for n in range(rounds):  # interleaved rounds, so noise falls on both sides alike
            for side, url in urls.items():
                for clients in sizes.concurrency:
                    rest[side][clients].append(rest_load(url, clients, bench, rounds))
                fan[side] += fanout(url, sizes.watchers, per_round, f"fanout-{n}")
    results["rest"] = {c: merged(rest["emulator"][c]) for c in sizes.concurrency}
    results["floor_rest"] = {c: merged(rest["floor"][c]) for c in sizes.concurrency}
    results["fanout_ms"], results["floor_fanout_ms"] = fan["emulator"], fan["floor"]
    results["fanout_messages"] = per_round * rounds
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
