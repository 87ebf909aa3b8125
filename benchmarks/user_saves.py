"""2. User saves: Stream calls and added time per save(), the app's receivers vs a plain upsert
handler.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from .baselines import UpsertOnSave
from .report import Row
from .runner import Run
from .stats import percentile


def _operations(user: Any) -> dict[str, Callable[[int], None]]:
    def login(i: int) -> None:  # what django.contrib.auth.login does through update_last_login
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])

    def no_op(i: int) -> None:
        user.save()

    def name_change(i: int) -> None:
        user.first_name = f"Renamed {i} {time.perf_counter_ns()}"
        user.save()

    return {"login": login, "no-op save": no_op, "name change": name_change}


def run(bench: Run) -> None:
    from django_streaminbox.sync import disable_sync, sync_users

    User = get_user_model()
    user = User.objects.create_user("saves-bench", first_name="Saves", last_name="Bench")
    sync_users([user])
    bench.latency()
    operations = _operations(user)
    repeats = bench.sizes.saves

    def measure(
        variant: Callable[[], AbstractContextManager[Any]], op: Callable[[int], None]
    ) -> tuple[float, float]:
        op(-1)  # warm caches and bring Stream in step before counting
        times = []
        with variant(), bench.stream_calls() as calls:
            for i in range(repeats):
                began = time.perf_counter()
                op(i)
                times.append((time.perf_counter() - began) * 1000)
        # The median save: a save that other work on the machine held up does not count.
        return percentile(times, 50), len(calls) / repeats

    def bare() -> AbstractContextManager[Any]:
        return disable_sync()

    def handler() -> AbstractContextManager[Any]:
        """The plain handler alone: the app's receivers are switched off meanwhile."""
        stack = ExitStack()
        stack.enter_context(disable_sync())
        stack.enter_context(UpsertOnSave(User))
        return stack

    results: dict[str, Any] = {}
    for name, op in operations.items():
        bare_ms, _ = measure(bare, op)
        app_ms, app_calls = measure(nullcontext, op)
        hand_ms, hand_calls = measure(handler, op)
        results[name] = {
            "bare_ms": bare_ms,
            "app_ms": app_ms,
            "handler_ms": hand_ms,
            "app_calls": app_calls,
            "handler_calls": hand_calls,
            "app_added_ms": app_ms - bare_ms,
            "handler_added_ms": hand_ms - bare_ms,
        }
        bench.log(
            f"  save {name:12} app {app_calls:.2f} calls +{app_ms - bare_ms:.2f} ms, "
            f"handler {hand_calls:.2f} calls +{hand_ms - bare_ms:.2f} ms"
        )
        expected = 1 if name == "name change" else 0
        calls = Row(
            "User saves",
            f"Stream calls per save: {name}",
            app_calls,
            "calls",
            "post_save upsert",
            hand_calls,
            target=str(expected),
        )
        calls.met = app_calls == expected
        bench.add(calls)
        bench.add(
            Row(
                "User saves",
                f"added time per save: {name}",
                app_ms - bare_ms,
                "ms",
                "post_save upsert",
                hand_ms - bare_ms,
            )
        )
    bench.details["saves"] = results
