"""3. Bulk backfill: ``manage.py streaminbox_sync`` vs upserting one user at a time.

Each backfill runs in a fresh child process over its own SQLite file, so that wall time and peak
memory (ru_maxrss) are the backfill's own. The one-at-a-time loop costs one 20 ms round trip per
user, so it is timed on a sample and extrapolated linearly (its cost per user does not depend on
N)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .processes import ROOT
from .report import Row
from .runner import Run

#: Stream's limit on user updates (requests a minute) and the users one request may carry.
USER_UPDATES_PER_MINUTE = 300
USERS_PER_CALL = 100


def child(db: Path, *args: str, timeout: float = 1800) -> dict[str, Any]:
    env = {**os.environ, "BENCH_DB": str(db), "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if out.returncode:
        raise RuntimeError(f"benchmarks.child {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _fresh_stream(bench: Run, **faults: Any) -> None:
    bench.emulator.reset()
    bench.latency(**faults)
    bench.emulator.clear_requests()


def _user_calls(bench: Run) -> list[dict[str, Any]]:
    return [r for r in bench.emulator.requests() if r["path"].rstrip("/") == "/users"]


def run(bench: Run, tmp: Path) -> None:
    results: dict[str, Any] = {}
    for count in bench.sizes.backfill:
        db = tmp / f"backfill-{count}.sqlite3"
        child(db, "populate", str(count))
        # Raw speed, with Stream's rate limit out of the way: otherwise the app, which paces itself
        # by the limit's headers, would be held to 300 calls a minute while the loop, which ignores
        # them (and would meet 429s on the real service), is not. Pacing is measured separately.
        sample = min(count, bench.sizes.loop_sample)
        # Alternated rounds, the fastest of each side kept: a burst of other work on a shared
        # machine then costs neither side its figure (up to 20,000 users; one round above).
        rounds = bench.sizes.backfill_rounds if count <= 20_000 else 1
        apps, loops = [], []
        for _ in range(rounds):
            _fresh_stream(bench)
            app = child(db, "backfill", "app")
            app["stream_calls"] = len(_user_calls(bench))
            apps.append(app)
            _fresh_stream(bench)
            loop = child(db, "backfill", "loop", str(sample))
            loop["stream_calls"] = len(_user_calls(bench))
            loops.append(loop)
        app = min(apps, key=lambda figures: figures["seconds"])
        loop = min(loops, key=lambda figures: figures["seconds"])
        app["rounds_seconds"] = [round(figures["seconds"], 3) for figures in apps]
        loop["rounds_seconds"] = [round(figures["seconds"], 3) for figures in loops]
        loop["users_per_s"] = loop["users"] / loop["seconds"]
        loop["extrapolated_seconds"] = count / loop["users_per_s"]
        app["users_per_s"] = app["users"] / app["seconds"]
        results[str(count)] = {"app": app, "loop": loop}
        bench.log(
            f"  backfill {count}: app {app['seconds']:.2f} s {app['stream_calls']} calls "
            f"{app['peak_rss_mb']:.0f} MB; loop {loop['users_per_s']:.1f} users/s"
        )
        label = f"{count:,} users"
        calls = Row(
            "Backfill",
            f"Stream calls, {label}",
            app["stream_calls"],
            "calls",
            "one at a time",
            count,
            target=f"= ceil(N/100) = {math.ceil(count / 100)}",
        )
        calls.met = app["stream_calls"] == math.ceil(count / USERS_PER_CALL)
        bench.add(calls)
        speed = Row(
            "Backfill",
            f"users/s, {label}",
            app["users_per_s"],
            "users/s",
            "one at a time",
            loop["users_per_s"],
            target=">= 50x the loop",
            note=f"loop timed on {sample} users, extrapolated",
        )
        speed.met = speed.ratio is not None and speed.ratio >= 50
        bench.add(speed)
        bench.add(
            Row(
                "Backfill",
                f"wall time, {label}",
                app["seconds"],
                "s",
                "one at a time (extrapolated)",
                loop["extrapolated_seconds"],
            )
        )
        bench.add(
            Row(
                "Backfill",
                f"peak RSS, {label}",
                app["peak_rss_mb"],
                "MB",
                f"one at a time ({sample} users)",
                loop["peak_rss_mb"],
            )
        )
    sizes = sorted(bench.sizes.backfill)
    if len(sizes) > 1:
        low, high = results[str(sizes[0])]["app"], results[str(sizes[-1])]["app"]
        growth = high["peak_rss_mb"] - low["peak_rss_mb"]
        row = Row(
            "Backfill",
            f"peak RSS growth {sizes[0]:,} -> {sizes[-1]:,} users",
            growth,
            "MB",
            target="<= 50 MB",
        )
        row.met = growth <= 50
        bench.add(row)
    if bench.sizes.rate_limited_users:
        results["rate_limited"] = _rate_limited(bench, tmp)
    bench.details["backfill"] = results


def _rate_limited(bench: Run, tmp: Path) -> dict[str, Any]:
    """Stream's user-update limit on: the backfill must pace itself by the rate-limit headers."""
    count = bench.sizes.rate_limited_users
    db = tmp / f"rate-limited-{count}.sqlite3"
    child(db, "populate", str(count))
    window = bench.sizes.rate_window_s
    limit = max(1, round(USER_UPDATES_PER_MINUTE * window / 60))
    # The same rate as Stream's 300 a minute in a shorter window, so that a run of a few hundred
    # calls spans several windows and must pace itself (in one real minute 200 calls never would).
    _fresh_stream(bench, rate_limit={"UpdateUsers": limit, "window_seconds": window})
    app = child(db, "backfill", "app")
    calls = _user_calls(bench)
    too_many = sum(1 for r in calls if r["status"] == 429)
    ceiling = USER_UPDATES_PER_MINUTE * USERS_PER_CALL  # users a minute
    per_minute = app["users"] / app["seconds"] * 60
    bench.log(f"  rate-limited backfill {count}: {per_minute:,.0f} users/min, {too_many} 429s")
    label = f"{count:,} users, rate-limited"
    pace = Row(
        "Backfill",
        f"users/min, {label}",
        per_minute,
        "users/min",
        "Stream's ceiling",
        ceiling,
        target=">= 90% of the ceiling",
    )
    pace.met = per_minute >= 0.9 * ceiling
    bench.add(pace)
    row = Row("Backfill", f"429 responses, {label}", too_many, "429s", target="a few (<= 5)")
    row.met = too_many <= 5
    bench.add(row)
    return {
        **app,
        "calls": len(calls),
        "429s": too_many,
        "users_per_minute": per_minute,
        "limit": limit,
        "window_seconds": window,
    }
