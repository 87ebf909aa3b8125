"""Running the syncs that saves and deletes schedule: in the request after commit, or as tasks.

``sync.schedule`` decides *whether* a user goes to Stream; this module decides *where* that runs
(``STREAMINBOX_SYNC_BACKEND``) and keeps its two promises:

- **Nothing lost.** A failed sync never raises into the save, and the user's fingerprint stays
  unrecorded, so the next sync of them and ``manage.py streaminbox_sync`` send them. In the
  request a 429 is retried once after Stream's ``x-ratelimit-reset``, but never waiting past
  ``STREAMINBOX_TIMEOUT``; a task waits for the window as often as ``tasks.RATE_LIMIT_WAITS`` says.
- **A slow Stream slows one request, not all.** When an in-request sync times out, the ones after
  it skip Stream for ``PAUSE_AFTER_TIMEOUT`` seconds (in ``STREAMINBOX_CACHE``, so a shared cache
  pauses every process): saves and token requests then cost nothing while Stream hangs, and their
  users stay marked. Fast failures (refused connections, 5xx) do not pause: retrying them is cheap.
- **The last save wins.** Saves of one user that race commit in one order but can reach Stream in
  another. After each send the row is read again and, if it changed meanwhile, sent again
  (unconditionally: the fingerprint cache may already hold the newer state, written by the
  thread whose older payload then overtook it). Whoever reaches Stream last has read the row
  after the last commit, so Stream ends with what the database holds.
"""

from __future__ import annotations

import logging
import time
from importlib.util import find_spec
from typing import Any

import requests
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import BaseCache, caches

from .conf import get_setting
from .sync import SyncReport, remove_users, sync_users
from .users import fingerprint, stream_user_data

logger = logging.getLogger("django_streaminbox")

#: What ``STREAMINBOX_SYNC_BACKEND`` may say.
SYNC_BACKENDS = ("on_commit", "task")

#: How many times one scheduled sync sends a user again because their row changed meanwhile.
CONVERGE_ROUNDS = 3

#: Seconds in-request syncs leave Stream alone after one of them timed out.
PAUSE_AFTER_TIMEOUT = 5.0
PAUSE_KEY = "streaminbox:paused-until"


def tasks_framework() -> str | None:
    """``"django.tasks"`` (Django 6), ``"django_tasks"`` (the backport), or ``None``: neither."""
    for name in ("django.tasks", "django_tasks"):
        if find_spec(name) is not None:
            return name
    return None


def uses_tasks() -> bool:
    return bool(get_setting("SYNC_BACKEND") == "task")


def run_sync(user: AbstractBaseUser) -> None:
    """What a save's ``on_commit`` callback runs: sync now, or queue the task. Never raises."""
    if uses_tasks():
        try:
            from . import tasks

            tasks.enqueue_sync(user)
        except Exception:  # the queue is down: the fingerprint is unrecorded, so cron sends them
            logger.exception("Could not queue the Stream sync of user pk=%r", user.pk)
        return
    if paused():
        return  # the user stays marked: the next sync after the pause, or cron, sends them
    try:
        report = sync_latest(user, raise_errors=False, **request_wait_options())
    except Exception:  # a bad USER_DATA callable must not break the save that triggered it
        logger.exception("Syncing user pk=%r to Stream failed", user.pk)
        return
    if any(isinstance(error.__cause__, requests.Timeout) for error in report.errors):
        logger.warning("Stream timed out; in-request syncs pause for %ss", PAUSE_AFTER_TIMEOUT)
        _cache().set(PAUSE_KEY, time.time() + PAUSE_AFTER_TIMEOUT, timeout=PAUSE_AFTER_TIMEOUT)


def paused() -> bool:
    """Whether in-request syncs are skipping Stream because a recent one timed out."""
    return bool(_cache().get(PAUSE_KEY, 0) > time.time())


def run_removal(user_id: str) -> None:
    """What a delete's ``on_commit`` callback runs (``ON_USER_DELETE``). Never raises."""
    action = str(get_setting("ON_USER_DELETE"))
    try:
        if uses_tasks():
            from . import tasks

            tasks.enqueue_removal(user_id, action)
        else:
            remove_users([user_id], action=action, raise_errors=False)
    except Exception:
        logger.exception("Removing user %s from Stream failed", user_id)


def request_wait_options() -> dict[str, Any]:
    """``sync_users`` options for a sync running inside a request: one rate-limit retry at most,
    after a wait cut short at the end of ``STREAMINBOX_TIMEOUT`` (counted from now)."""
    deadline = time.monotonic() + float(get_setting("TIMEOUT"))

    def sleep(seconds: float) -> None:
        time.sleep(max(0.0, min(seconds, deadline - time.monotonic())))

    return {"wait_on_rate_limit": True, "max_waits": 1, "sleep": sleep}


def sync_latest(user: AbstractBaseUser, **options: Any) -> SyncReport:
    """``sync_users([user])``, then again while the user's row differs from what was sent."""
    report = sync_users([user], **options)
    sent = fingerprint(stream_user_data(user))
    for _ in range(CONVERGE_ROUNDS):
        if report.failed:
            break
        fresh = _reload(user)
        if fresh is None:
            break
        current = fingerprint(stream_user_data(fresh))
        if current == sent:
            break
        _add(report, sync_users([fresh], force=True, **options))
        sent = current
    return report


def _cache() -> BaseCache:
    return caches[get_setting("CACHE")]


def _reload(user: AbstractBaseUser) -> AbstractBaseUser | None:
    # ``__class__``, not ``type()``: a view's ``request.user`` is a lazy proxy of the user.
    fresh: AbstractBaseUser | None = user.__class__._default_manager.filter(pk=user.pk).first()
    return fresh


def _add(total: SyncReport, more: SyncReport) -> None:
    for name in ("sent", "unchanged", "failed", "batches", "failed_batches", "rate_limit_waits"):
        setattr(total, name, getattr(total, name) + getattr(more, name))
    total.errors += more.errors
