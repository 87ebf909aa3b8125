"""4. Direct channel: first and repeated requests for the same pair, this app vs the seed article's
view.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from .report import Row
from .runner import Run
from .stats import percentile

ENDPOINTS = {"app": "/messages/channel/", "hand-rolled": "/_bench/hand-rolled/channel/"}


def run(bench: Run) -> None:
    from django_streaminbox.sync import sync_users

    User = get_user_model()
    repeats = bench.sizes.channel_repeats
    results: dict[str, Any] = {}
    for name, path in ENDPOINTS.items():
        me = User.objects.create_user(f"dm-{name}", first_name="Direct", last_name=name)
        others = [
            User.objects.create_user(f"dm-{name}-{i}", first_name="Other", last_name=str(i))
            for i in range(repeats)
        ]
        sync_users([me, *others])  # everyone exists in Stream already, as after a backfill
        client = Client()
        client.force_login(me)
        bench.latency()

        def post(other: Any, client: Client = client, path: str = path) -> tuple[float, int]:
            body = json.dumps({"user_id": str(other.pk)})
            began = time.perf_counter()
            response = client.post(path, body, content_type="application/json")
            elapsed = (time.perf_counter() - began) * 1000
            return elapsed, response.status_code

        client.post(path, json.dumps({"user_id": str(others[0].pk)}), "application/json")
        first: list[float] = []
        with bench.stream_calls() as first_calls:
            statuses = []
            for other in others[1:] or others:
                elapsed, status = post(other)
                first.append(elapsed)
                statuses.append(status)
        repeated: list[float] = []
        with bench.stream_calls() as repeat_calls:
            for _ in range(repeats):
                elapsed, status = post(others[0])
                repeated.append(elapsed)
                statuses.append(status)
        results[name] = {
            "first_calls": len(first_calls) / len(first),
            "repeat_calls": len(repeat_calls) / repeats,
            "first_p50_ms": percentile(first, 50),
            "repeat_p50_ms": percentile(repeated, 50),
            "statuses": sorted(set(statuses)),
        }
        bench.log(
            f"  channel {name:12} first {results[name]['first_calls']:.2f} calls "
            f"{results[name]['first_p50_ms']:.1f} ms, repeat "
            f"{results[name]['repeat_calls']:.2f} calls {results[name]['repeat_p50_ms']:.1f} ms"
        )
    app, hand = results["app"], results["hand-rolled"]
    bench.add(
        Row(
            "Direct channel",
            "Stream calls, first request",
            app["first_calls"],
            "calls",
            "hand-rolled",
            hand["first_calls"],
        )
    )
    repeat = Row(
        "Direct channel",
        "Stream calls, repeated request",
        app["repeat_calls"],
        "calls",
        "hand-rolled",
        hand["repeat_calls"],
        target="<= 1",
    )
    repeat.met = app["repeat_calls"] <= 1
    bench.add(repeat)
    bench.add(
        Row(
            "Direct channel",
            "latency p50, first request",
            app["first_p50_ms"],
            "ms",
            "hand-rolled",
            hand["first_p50_ms"],
        )
    )
    bench.add(
        Row(
            "Direct channel",
            "latency p50, repeated request",
            app["repeat_p50_ms"],
            "ms",
            "hand-rolled",
            hand["repeat_p50_ms"],
        )
    )
    bench.details["channel"] = results
