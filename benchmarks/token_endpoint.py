"""1. Token endpoint: this app vs the hand-rolled view vs the floor, through gunicorn."""

from __future__ import annotations

import http.client
import os
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from .loadgen import Load, load_generator, measure_load, merged, run_load, send_sequentially
from .processes import WSGIServer
from .report import Row
from .runner import Run

ENDPOINTS = {
    "app": "/messages/token/",
    "hand-rolled": "/_bench/hand-rolled/token/",
    "floor": "/_bench/floor/token/",
}


def logged_in_headers(user: Any) -> dict[str, str]:
    """Cookies and CSRF header of a logged-in browser, for a load generator outside Django."""
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    session = client.cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


def warm_every_worker(url: str, headers: dict[str, str], workers: int, tries: int = 500) -> None:
    """New connections until each gunicorn worker has answered (each has its own local cache)."""
    parts = urlsplit(url)
    seen: set[str] = set()
    for _ in range(tries):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            conn.request("POST", parts.path, headers={"Content-Length": "0", **headers})
            response = conn.getresponse()
            response.read()
            seen.add(response.getheader("X-Bench-Worker", ""))
        finally:
            conn.close()
        if len(seen) >= workers:
            return
    raise RuntimeError(f"only {len(seen)} of {workers} workers answered {url}")


def run(bench: Run) -> None:
    from django_streaminbox.sync import sync_users

    sizes = bench.sizes
    user = get_user_model().objects.create_user(
        "token-bench", first_name="Token", last_name="Bench"
    )
    sync_users([user])  # a synced user: what Stream sees is already up to date
    headers = logged_in_headers(user)
    bench.latency()
    env = {key: value for key, value in os.environ.items() if key.startswith("BENCH_")}
    # wrk when installed (make bench installs it), else the Python threads: the same for all three.
    results: dict[str, Any] = {"load_generator": load_generator()}
    bench.log(f"  token load generator: {results['load_generator']}")
    with WSGIServer(env) as server:
        for name, path in ENDPOINTS.items():
            url = server.url + path
            # Warm every worker, then count the Stream calls of a fixed number of requests.
            warm_every_worker(url, headers, server.workers)
            run_load(url, headers=headers, clients=16, seconds=0.2, warmup=0.0, max_requests=64)
            with bench.stream_calls() as calls:
                statuses = send_sequentially(url, headers=headers, count=sizes.count_requests)
            results[name] = {
                "stream_calls_per_request": len(calls) / sizes.count_requests,
                "counted_requests": sizes.count_requests,
                "counted_statuses": {str(k): v for k, v in sorted(statuses.items())},
            }
        for clients in sizes.concurrency:
            rounds: dict[str, list[Load]] = {name: [] for name in ENDPOINTS}
            cpu = dict.fromkeys(ENDPOINTS, 0.0)
            for _ in range(sizes.rounds):  # interleaved, so noise falls on every side alike
                for name, path in ENDPOINTS.items():
                    before = server.cpu_seconds()
                    load = measure_load(
                        server.url + path,
                        headers=headers,
                        clients=clients,
                        seconds=sizes.load_seconds / sizes.rounds,
                        warmup=sizes.load_warmup,
                    )
                    cpu[name] += server.cpu_seconds() - before
                    rounds[name].append(load)
            for name in ENDPOINTS:
                summary = results[name][f"c{clients}"] = merged(rounds[name])
                # Server CPU per request (warm-up included on both sides of the division): the
                # cost the machine's other load does not change much, unlike requests per second.
                total = sum(load.requests + load.warmup_requests for load in rounds[name])
                summary["server_cpu_ms_per_request"] = round(cpu[name] / max(total, 1) * 1000, 3)
                bench.log(
                    f"  token {name:12} c={clients:<3} {summary['rps']:8.1f} req/s "
                    f"p50 {summary['p50_ms']} ms errors {summary['errors']}"
                )
    bench.details["token"] = results
    _rows(bench, results)


def _rows(bench: Run, results: dict[str, Any]) -> None:
    app, hand, floor = results["app"], results["hand-rolled"], results["floor"]
    for clients in bench.sizes.concurrency:
        key = f"c{clients}"
        rps = app[key]["rps"]
        versus_hand = Row(
            "Token endpoint",
            f"req/s, {clients} client(s)",
            rps,
            "req/s",
            "hand-rolled",
            hand[key]["rps"],
            target=">= 20x hand-rolled",
        )
        versus_hand.met = versus_hand.ratio is not None and versus_hand.ratio >= 20
        bench.add(versus_hand)
        versus_floor = Row(
            "Token endpoint",
            f"req/s, {clients} client(s)",
            rps,
            "req/s",
            "floor (sign JWT)",
            floor[key]["rps"],
            target="within 1.3x of floor",
        )
        versus_floor.met = versus_floor.ratio is not None and versus_floor.ratio >= 1 / 1.3
        bench.add(versus_floor)
        bench.add(
            Row(
                "Token endpoint",
                f"p50 latency, {clients} client(s)",
                app[key]["p50_ms"],
                "ms",
                "hand-rolled",
                hand[key]["p50_ms"],
            )
        )
    most = max(bench.sizes.concurrency)
    for name, other in (("floor (sign JWT)", floor), ("hand-rolled", hand)):
        bench.add(
            Row(
                "Token endpoint",
                f"server CPU per request, {most} clients",
                app[f"c{most}"]["server_cpu_ms_per_request"],
                "ms",
                name,
                other[f"c{most}"]["server_cpu_ms_per_request"],
            )
        )
    calls = Row(
        "Token endpoint",
        "Stream calls per request (synced user)",
        app["stream_calls_per_request"],
        "calls",
        "hand-rolled",
        hand["stream_calls_per_request"],
        target="0",
    )
    calls.met = app["stream_calls_per_request"] == 0
    bench.add(calls)
