"""``manage.py streaminbox_sync``: the bulk backfill, paced by Stream's rate limit."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from django_streaminbox import sync
from django_streaminbox.client import get_client
from django_streaminbox.management.commands.streaminbox_sync import Command

from .conftest import CUSTOM_USER, create_user, rename, stream_users, upserts

pytestmark = pytest.mark.django_db


def make_users(count: int, **extra: Any) -> list[Any]:
    with sync.disable_sync():
        return [create_user(full_name=f"Member {n}", **extra) for n in range(count)]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("streaminbox_sync", *args, stdout=out)
    return out.getvalue()


def test_250_users_take_3_upsert_calls(emulator: Any) -> None:
    users = make_users(250)
    output = run()
    sent = upserts(emulator)
    assert [len(r["body"]["users"]) for r in sent] == [100, 100, 50]
    assert output.strip() == "Sent 250 user(s) in 3 batch(es); 0 unchanged, 0 failed."
    ids = [str(u.pk) for u in users]
    assert len(stream_users(*ids[:100])) == 100
    assert set(stream_users(*ids[200:])) == set(ids[200:])


def test_only_changed_users_by_default_and_all_with_all(emulator: Any) -> None:
    users = make_users(5)
    run()
    emulator.clear_requests()
    with sync.disable_sync():
        rename(users[0], "Renamed")
    assert run().startswith("Sent 1 user(s) in 1 batch(es); 4 unchanged")
    assert run().startswith("Sent 0 user(s) in 0 batch(es); 5 unchanged")
    assert run("--all").startswith("Sent 5 user(s) in 1 batch(es)")
    assert len(upserts(emulator)) == 2


def test_dry_run_calls_nothing(emulator: Any) -> None:
    make_users(120)
    assert run("--dry-run").strip() == (
        "Would send 120 user(s) in 2 batch(es); 0 unchanged, 0 failed."
    )
    assert emulator.requests() == []


def test_active_and_ids(emulator: Any) -> None:
    active = make_users(2)
    make_users(3, is_active=False)
    assert run("--active").startswith("Sent 2 user(s)")
    assert set(stream_users(*[str(u.pk) for u in active])) == {str(u.pk) for u in active}
    one = get_user_model()._default_manager.exclude(pk__in=[u.pk for u in active]).first()
    assert one is not None
    assert run("--ids", str(one.pk)).startswith("Sent 1 user(s)")
    with pytest.raises(CommandError, match="--ids"):
        run("--ids", "1,not-a-key" if CUSTOM_USER else "1,x")


def test_a_failed_batch_exits_non_zero_and_resends_next_time(emulator: Any) -> None:
    make_users(3)
    emulator.set_faults(status=500)
    with pytest.raises(CommandError, match="1 batch"):
        run()
    emulator.clear_faults()
    assert run().startswith("Sent 3 user(s)")


def test_a_429_waits_until_the_reset_and_retries(emulator: Any) -> None:
    make_users(50)
    # A window long enough that a loaded machine cannot let it lapse before the command's call.
    emulator.set_faults(rate_limit={"UpdateUsers": 1, "window_seconds": 2})
    get_client().upsert_users([{"id": "another-process"}])  # someone else used the window up
    emulator.clear_requests()
    started = time.monotonic()
    output = run()
    waited = time.monotonic() - started
    assert "Sent 50 user(s) in 1 batch(es)" in output
    assert "waited 1 time(s)" in output
    assert [r["status"] for r in upserts(emulator)] == [429, 201]
    assert waited >= 1, "it waited for the window to reset instead of hammering"


def test_paces_itself_when_the_window_is_used_up(emulator: Any) -> None:
    """remaining == 0 after a call: sleep until x-ratelimit-reset before the next one."""
    make_users(150)
    emulator.set_faults(rate_limit={"UpdateUsers": 1, "window_seconds": 0.5})
    slept: list[float] = []

    class Recording(Command):
        sleep = staticmethod(lambda seconds: (slept.append(seconds), time.sleep(seconds)))

    out = io.StringIO()
    call_command(Recording(), stdout=out)
    assert slept and 0 < slept[0] <= 2
    assert [r["status"] for r in upserts(emulator)] == [201, 201], "no 429 needed"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(emulator: Any) -> None:
    make_users(120)
    tty = Terminal()
    call_command("streaminbox_sync", "--dry-run", stdout=tty)
    assert "\r100 sent, 0 unchanged, 0 failed" in tty.getvalue()
    assert "\r" not in run("--dry-run")
