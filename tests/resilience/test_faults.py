"""Stream misbehaving, through the emulator's fault controls: the site keeps working, every
answer is clear, and every user change reaches Stream in the end.

Each test ends with ``assert_nothing_lost``: faults off, then Stream's copy of every Django user
equals their data now. ``manage.py streaminbox_sync`` is run where the README's cron line would.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import threading
import time
import uuid
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command

from django_streaminbox.sync import disable_sync, needs_sync
from tests.helpers import API

from .conftest import assert_nothing_lost, make_user, set_name, stream_copy

pytestmark = pytest.mark.django_db(transaction=True)


def upserts(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if (r["method"], r["path"]) == ("POST", "/users")]


def cron() -> str:
    """``manage.py streaminbox_sync``, as the README's cron line runs it."""
    out = io.StringIO()
    call_command("streaminbox_sync", stdout=out)
    return out.getvalue()


def many_users(count: int) -> list[Any]:
    """``count`` users created at once (a site before installing the app): no sync yet."""
    model = get_user_model()
    password = make_password("x")
    with disable_sync():
        return model._default_manager.bulk_create(
            [
                model(username=f"member{n}", first_name=f"Member{n}", password=password)
                for n in range(count)
            ]
        )


def timed(work: Any) -> float:
    started = time.monotonic()
    work()
    return time.monotonic() - started


class TestOutage:
    def test_saves_during_an_outage_succeed_and_reach_stream_afterwards(
        self, emulator: Any, settings: Any
    ) -> None:
        settings.STREAMINBOX_TIMEOUT = 1.0
        before = [make_user(full_name=f"Before {n}") for n in range(5)]
        emulator.set_faults(down=True)
        during = [make_user(full_name=f"During {n}") for n in range(10)]
        for user in before:
            set_name(user, "Renamed Meanwhile")
            assert timed(user.save) < 3, "a save never waits on Stream past its timeout"
        assert all(needs_sync(user) for user in [*before, *during]), "still marked"
        emulator.clear_faults()
        cron()
        assert_nothing_lost(emulator)

    def test_the_users_next_sync_sends_them_without_cron(self, emulator: Any) -> None:
        emulator.set_faults(down=True)
        user = make_user(full_name="Ada Lovelace")
        emulator.clear_faults()
        browser = API(user)
        response = browser.post("/messages/token/", {})  # the inbox opening
        assert response.status_code == 200
        assert stream_copy([str(user.pk)])[str(user.pk)]["name"] == "Ada Lovelace"
        assert_nothing_lost(emulator)

    def test_the_emulator_killed_and_restarted_mid_backfill(self, emulator: Any) -> None:
        many_users(1000)
        stopped = threading.Event()

        def kill_after_three_batches() -> None:
            deadline = time.monotonic() + 30
            while len(upserts(emulator)) < 3 and time.monotonic() < deadline:
                time.sleep(0.005)
            emulator.stop()
            stopped.set()

        emulator.set_faults(latency_ms=40)  # batches slow enough for the killer to act mid-run
        killer = threading.Thread(target=kill_after_three_batches)
        killer.start()
        with pytest.raises(CommandError, match="sent again by the next run"):
            cron()
        killer.join()
        assert stopped.is_set()
        emulator.start()  # same port, state kept in memory
        emulator.clear_faults()
        assert "0 failed" in cron()
        assert_nothing_lost(emulator)


class TestRandomErrors:
    def test_ten_percent_5xx_during_a_thousand_user_backfill(
        self, emulator: Any, settings: Any
    ) -> None:
        # Room for every fingerprint (LocMemCache keeps 300 by default and culls the rest, which
        # only costs re-sends); then a re-run can be held to sending just what failed.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 10_000},
            }
        }
        many_users(1000)
        emulator.set_faults(error_rate=0.1, status=503, seed=7)
        runs = []
        for _ in range(10):  # cron, every few minutes, with Stream still flaky
            try:
                runs.append(cron())
                break
            except CommandError as exc:
                runs.append(str(exc))
        assert "0 failed" in runs[-1], runs
        sent = sum(len(r["body"]["users"]) for r in upserts(emulator) if r["status"] < 300)
        assert sent == 1000, "every user was sent exactly once successfully; none twice"
        assert_nothing_lost(emulator)

    def test_5xx_during_saves(self, emulator: Any) -> None:
        emulator.set_faults(error_rate=0.5, status=500, seed=3)
        users = [make_user(full_name=f"Person {n}") for n in range(30)]
        for user in users[:15]:
            set_name(user, "Changed Later")
            user.save()
        assert any(r["status"] == 500 for r in emulator.requests()), "the fault was hit"
        emulator.clear_faults()
        cron()
        assert_nothing_lost(emulator)


class TestRateLimits:
    def test_a_429_storm_during_a_backfill_is_waited_out(self, emulator: Any) -> None:
        many_users(500)
        emulator.set_faults(rate_limit={"UpdateUsers": 2, "window_seconds": 1})
        out = cron()  # one run: it waits for x-ratelimit-reset instead of failing
        assert "0 failed" in out and "waited" in out, out
        assert any(r["status"] == 429 for r in emulator.requests()) or "waited" in out
        assert_nothing_lost(emulator)

    def test_a_429_in_a_save_is_retried_after_the_reset_within_the_timeout(
        self, emulator: Any, settings: Any
    ) -> None:
        settings.STREAMINBOX_TIMEOUT = 3.0
        emulator.set_faults(rate_limit={"UpdateUsers": 1, "window_seconds": 1})
        durations = []
        for n in range(4):
            durations.append(timed(lambda n=n: make_user(full_name=f"Limited {n}")))
        statuses = [r["status"] for r in upserts(emulator)]
        assert 429 in statuses, statuses
        assert max(durations) < 3.0 * 2 + 1, "one retry at most, after a wait cut at TIMEOUT"
        assert_nothing_lost(emulator)  # the retries got every save through, no cron needed

    def test_a_429_storm_longer_than_the_timeout_leaves_saves_marked(
        self, emulator: Any, settings: Any
    ) -> None:
        settings.STREAMINBOX_TIMEOUT = 0.5
        emulator.set_faults(rate_limit={"UpdateUsers": 0, "window_seconds": 60})
        users = [make_user(full_name=f"Stormy {n}") for n in range(3)]
        assert all(needs_sync(user) for user in users)
        emulator.clear_faults()
        cron()
        assert_nothing_lost(emulator)


@pytest.mark.slow
def test_five_second_latency_against_a_one_second_timeout(emulator: Any, settings: Any) -> None:
    settings.STREAMINBOX_TIMEOUT = 1.0
    emulator.set_faults(latency_ms=5000)
    users = []
    for n in range(3):
        took = timed(lambda n=n: users.append(make_user(full_name=f"Slow {n}")))
        assert took < 2.5, f"a save waited {took:.1f}s on a 1s timeout"
    assert all(needs_sync(user) for user in users)
    browser = API(users[0])
    token = browser.post("/messages/token/", {})
    assert token.status_code == 200, "tokens are signed locally"
    channel = browser.post("/messages/channel/", {"user_id": str(users[1].pk)})
    assert channel.status_code == 503
    assert channel.json()["error"]["code"] == "stream_unavailable"
    assert int(channel["Retry-After"]) >= 1
    emulator.clear_faults()
    time.sleep(5)  # the timed-out calls still land in Stream meanwhile, as with the real service
    cron()
    assert_nothing_lost(emulator)


FAULTS = {
    "down": {"down": True},
    "5xx": {"status": 503},
    "429": {"rate_limit": {"*": 0, "window_seconds": 30}},
    "slow": {"latency_ms": 3000},
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_endpoint_answers_clearly_while_stream_fails(
    fault: str, emulator: Any, settings: Any
) -> None:
    settings.STREAMINBOX_TIMEOUT = 0.5
    ada, grace = make_user(full_name="Ada Lovelace"), make_user(full_name="Grace Hopper")
    emulator.set_faults(**FAULTS[fault])
    browser = API(ada)

    token = browser.post("/messages/token/", {})
    assert token.status_code == 200 and token.json()["token"], "tokens are signed locally"

    channel = browser.post("/messages/channel/", {"user_id": str(grace.pk)})
    assert channel.status_code == 503, channel.content
    assert channel["Content-Type"] == "application/json"
    assert channel.json()["error"]["code"] == "stream_unavailable"
    retry_after = int(channel["Retry-After"])
    assert 1 <= retry_after <= 32, "from x-ratelimit-reset on a 429, a few seconds otherwise"

    directory = browser.client.get("/messages/users/")
    assert directory.status_code == 200 and directory.json()["results"]

    body = json.dumps({"type": "user.updated", "user": {"id": str(ada.pk)}}).encode()
    secret = settings.STREAMINBOX_API_SECRET.encode()
    webhook = browser.client.post(
        "/messages/webhook/",
        body,
        content_type="application/json",
        headers={
            "X-Signature": hmac.new(secret, body, hashlib.sha256).hexdigest(),
            "X-Api-Key": settings.STREAMINBOX_API_KEY,
            "X-Webhook-Id": str(uuid.uuid4()),
        },
    )
    assert webhook.status_code == 200, "the webhook endpoint never calls Stream"

    if fault == "slow":
        time.sleep(3)  # let the timed-out calls land before the check reads Stream
    emulator.clear_faults()
    cron()
    assert_nothing_lost(emulator)


def test_after_a_timeout_in_request_syncs_pause_then_resume(
    emulator: Any, settings: Any, monkeypatch: Any
) -> None:
    """A hanging Stream costs one request its timeout; the requests after it do not wait."""
    from django_streaminbox import scheduling

    monkeypatch.setattr(scheduling, "PAUSE_AFTER_TIMEOUT", 1.5)
    settings.STREAMINBOX_TIMEOUT = 0.5
    emulator.set_faults(latency_ms=1500)
    first = make_user(full_name="First Slow")
    assert scheduling.paused()
    others = [make_user(full_name=f"Paused {n}") for n in range(5)]
    token = API(others[0]).post("/messages/token/", {})
    assert token.status_code == 200
    assert all(needs_sync(user) for user in [first, *others])
    time.sleep(1.6)  # the pause ends, and the timed-out call lands in the emulator's log
    assert len(upserts(emulator)) == 1, "no save or token request called Stream during the pause"
    assert not scheduling.paused()
    emulator.clear_faults()
    set_name(others[0], "Back Again")
    others[0].save()
    assert stream_copy([str(others[0].pk)])[str(others[0].pk)]["name"] == "Back Again"
    cron()
    assert_nothing_lost(emulator)
