"""Work run in a fresh child process, so that its peak memory (ru_maxrss) is its own.

``python -m benchmarks.child populate N``   create N users (no Stream calls)
``python -m benchmarks.child backfill app``  run ``manage.py streaminbox_sync`` over every user
``python -m benchmarks.child backfill loop LIMIT``  upsert the first LIMIT users one at a time
Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def populate(count: int) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    User = get_user_model()
    password = make_password(None)
    began = time.perf_counter()
    batch = 5000
    for start in range(0, count, batch):
        User.objects.bulk_create(
            User(
                username=f"user{i:06d}", first_name="User", last_name=f"{i:06d}", password=password
            )
            for i in range(start, min(start + batch, count))
        )
    return {"users": User.objects.count(), "seconds": time.perf_counter() - began}


def backfill(mode: str, limit: int | None) -> dict[str, object]:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from .baselines import upsert_one_at_a_time

    User = get_user_model()
    start_rss = _rss_mb()
    began = time.perf_counter()
    if mode == "app":
        call_command("streaminbox_sync", verbosity=0)
        users = User.objects.count()
    else:
        users = upsert_one_at_a_time(User.objects.order_by("pk")[:limit].iterator())
    return {
        "users": users,
        "seconds": time.perf_counter() - began,
        "start_rss_mb": start_rss,
        "peak_rss_mb": _rss_mb(),
    }


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    if argv[0] == "populate":
        result = populate(int(argv[1]))
    else:
        result = backfill(argv[1], int(argv[2]) if len(argv) > 2 else None)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
