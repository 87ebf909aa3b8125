"""Keeping Stream's copy of the site's users in step, sending only what changed.

For each user we remember, in Django's cache (``STREAMINBOX_CACHE``), a fingerprint of exactly the
data Stream was last sent. A user whose fingerprint is unchanged costs nothing; changed users go out
in ``upsert_users`` calls of at most 100 (Stream's limit per call). A failed call never raises into
a save: it is logged, sent as ``user_sync_failed``, and its fingerprints are not recorded, so the
next sync sends those users again.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ContextDecorator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import BaseCache, caches
from django.db import transaction

from . import signals
from .client import base_url, get_client, stream_errors
from .conf import get_setting
from .exceptions import StreamError, StreamUnavailable
from .users import fingerprint, stream_user_data, stream_user_id

logger = logging.getLogger("django_streaminbox")

#: Stream accepts at most 100 users per upsert call.
BATCH_SIZE = 100

#: Fields no default payload reads: a save touching only these (a login) never syncs.
UNSEEN_FIELDS = frozenset({"last_login", "password"})

#: What ``STREAMINBOX_ON_USER_DELETE`` may say.
DELETE_ACTIONS = ("deactivate", "delete", "hard_delete", "")

#: How many ``disable_sync`` blocks are open here: per thread and per asyncio task.
_disabled: ContextVar[int] = ContextVar("streaminbox_sync_disabled", default=0)


class disable_sync(ContextDecorator):
    """Saves and deletes inside this block (or decorated function) schedule no Stream calls.

    For fixtures, imports and data migrations; run ``manage.py streaminbox_sync`` afterwards.
    Other threads and requests are not affected.
    """

    def __enter__(self) -> disable_sync:
        _disabled.set(_disabled.get() + 1)
        return self

    def __exit__(self, *exc: object) -> None:
        _disabled.set(_disabled.get() - 1)


def sync_enabled() -> bool:
    """Whether saves and deletes should reach Stream right now (setting and ``disable_sync``)."""
    return bool(get_setting("SYNC_ON_SAVE")) and not _disabled.get()


def _cache() -> BaseCache:
    return caches[get_setting("CACHE")]


def _cache_key(user_id: str) -> str:
    return f"streaminbox:user:{_app_tag(base_url(), str(get_setting('API_KEY')))}:{user_id}"


@functools.lru_cache(maxsize=8)
def _app_tag(url: str, api_key: str) -> str:
    # Per Stream app: pointing the site at another app (or the emulator) must resend everyone.
    # Memoised: it was hashed again for every user of a backfill and every token request.
    return fingerprint({"url": url, "key": api_key})[:10]


def needs_sync(user: AbstractBaseUser) -> bool:
    """Whether Stream may not have this user's current data (no fingerprint, or a different one)."""
    data = stream_user_data(user)
    return bool(_cache().get(_cache_key(data["id"])) != fingerprint(data))


def forget(user_ids: Iterable[str]) -> None:
    """Drop the fingerprints of these Stream ids: their next sync sends them whatever they are."""
    _cache().delete_many([_cache_key(user_id) for user_id in user_ids])


@dataclass
class SyncReport:
    """What one ``sync_users`` run did; ``failed_batches`` counts upsert calls that failed."""

    sent: int = 0
    unchanged: int = 0
    failed: int = 0
    batches: int = 0
    failed_batches: int = 0
    rate_limit_waits: int = 0
    errors: list[StreamError] = field(default_factory=list)
    #: When Stream's rate-limit window reopens, if the last call used it up (unix time).
    window_resets_at: float = 0.0


@dataclass
class _Pending:
    user: AbstractBaseUser
    data: dict[str, Any]
    fingerprint: str


def sync_users(
    users: Iterable[AbstractBaseUser],
    *,
    force: bool = False,
    dry_run: bool = False,
    raise_errors: bool = True,
    wait_on_rate_limit: bool = False,
    max_waits: int = 10,
    on_batch: Callable[[SyncReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """Send Stream every user in ``users`` whose data changed since it was last sent.

    ``users`` may be any iterable (a queryset's ``iterator()`` for a backfill): it is read in
    chunks, never all at once. ``force`` sends unchanged users too; ``dry_run`` counts without
    calling Stream. With ``raise_errors`` the first failed batch raises its ``StreamError`` (after
    ``user_sync_failed``); without, failures are only reported. ``wait_on_rate_limit`` paces the
    run by Stream's rate-limit headers: it sleeps until ``x-ratelimit-reset`` when the window is
    used up, and after a 429 before retrying the same batch (at most ``max_waits`` times in all).
    """
    report = SyncReport()
    pending: dict[str, _Pending] = {}
    for chunk in _chunks(users, BATCH_SIZE):
        for item in _changed(chunk, force, report):
            pending[item.data["id"]] = item
            if len(pending) == BATCH_SIZE:
                _flush(pending, report, dry_run, raise_errors, wait_on_rate_limit, max_waits, sleep)
                pending = {}
                if on_batch:
                    on_batch(report)
    if pending:
        _flush(pending, report, dry_run, raise_errors, wait_on_rate_limit, max_waits, sleep)
        if on_batch:
            on_batch(report)
    return report


def _chunks(users: Iterable[AbstractBaseUser], size: int) -> Iterator[list[AbstractBaseUser]]:
    chunk: list[AbstractBaseUser] = []
    for user in users:
        chunk.append(user)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _changed(chunk: list[AbstractBaseUser], force: bool, report: SyncReport) -> list[_Pending]:
    items = []
    for user in chunk:
        data = stream_user_data(user)
        items.append(_Pending(user, data, fingerprint(data)))
    keys = [_cache_key(i.data["id"]) for i in items]
    known = {} if force else _cache().get_many(keys)
    changed = [i for i, key in zip(items, keys, strict=True) if known.get(key) != i.fingerprint]
    report.unchanged += len(items) - len(changed)
    return changed


def _flush(
    pending: dict[str, _Pending],
    report: SyncReport,
    dry_run: bool,
    raise_errors: bool,
    wait_on_rate_limit: bool,
    max_waits: int,
    sleep: Callable[[float], None],
) -> None:
    report.batches += 1
    if dry_run:
        report.sent += len(pending)
        return
    items = list(pending.values())
    pause = report.window_resets_at - time.time()
    if wait_on_rate_limit and pause > 0:  # the last call used the window up: wait for the next
        report.rate_limit_waits += 1
        sleep(pause)
    while True:
        try:
            with stream_errors():
                response = get_client().upsert_users([item.data for item in items])
        except StreamError as exc:
            if _should_wait(exc, wait_on_rate_limit, report, max_waits):
                report.rate_limit_waits += 1
                sleep(getattr(exc, "retry_after", 1))
                continue
            _failed(items, exc, report)
            if raise_errors:
                raise
            return
        break
    _cache().set_many({_cache_key(i.data["id"]): i.fingerprint for i in items}, timeout=None)
    report.sent += len(items)
    for item in items:
        signals.user_synced.send(
            sender=item.user.__class__, user=item.user, user_id=item.data["id"], data=item.data
        )
    limit = response.rate_limit()
    if limit is not None and limit.remaining <= 0:
        report.window_resets_at = limit.reset.timestamp()


def _should_wait(exc: StreamError, wanted: bool, report: SyncReport, max_waits: int) -> bool:
    limited = isinstance(exc, StreamUnavailable) and exc.status == 429
    return wanted and limited and report.rate_limit_waits < max_waits


def _failed(items: list[_Pending], exc: StreamError, report: SyncReport) -> None:
    report.failed += len(items)
    report.failed_batches += 1
    report.errors.append(exc)
    logger.warning("Stream did not take %d user(s): %s", len(items), exc)
    forget(item.data["id"] for item in items)
    for item in items:
        signals.user_sync_failed.send(
            sender=item.user.__class__,
            user=item.user,
            user_id=item.data["id"],
            action="upsert",
            error=exc,
        )


def schedule(user: AbstractBaseUser, *, using: str | None = None) -> None:
    """Sync ``user`` once the current transaction commits (now, outside one); never raises.

    Nothing is scheduled while sync is disabled, and nothing happens if the transaction rolls back.
    """
    if sync_enabled():
        from . import scheduling  # where it runs (request or task) and how races converge

        transaction.on_commit(lambda: scheduling.run_sync(user), using=using)


def remove_users(
    users: Iterable[AbstractBaseUser | str],
    *,
    action: str | None = None,
    raise_errors: bool = True,
) -> int:
    """Deactivate or delete these users (or Stream ids) in Stream; returns how many were removed.

    ``action`` defaults to ``STREAMINBOX_ON_USER_DELETE``: ``"deactivate"`` (reversible; their
    messages stay), ``"delete"`` (soft delete), ``"hard_delete"`` (the user and their messages are
    erased) or ``""`` (leave Stream alone). A user Stream never had counts as removed.
    """
    action = get_setting("ON_USER_DELETE") if action is None else action
    if action not in DELETE_ACTIONS:
        raise ValueError(f"Unknown removal action {action!r}; use one of {DELETE_ACTIONS}.")
    removed = 0
    if not action:
        return removed
    for user in users:
        user_id = user if isinstance(user, str) else stream_user_id(user)
        try:
            _remove(user_id, action)
        except StreamError as exc:
            logger.warning("Stream did not %s user %s: %s", action, user_id, exc)
            model = None if isinstance(user, str) else user.__class__
            signals.user_sync_failed.send(
                sender=model,
                user=None if isinstance(user, str) else user,
                user_id=user_id,
                action=action,
                error=exc,
            )
            if raise_errors:
                raise
            continue
        forget([user_id])
        removed += 1
    return removed


def _remove(user_id: str, action: str) -> None:
    client = get_client()
    try:
        with stream_errors():
            if action == "deactivate":
                client.deactivate_user(user_id)
            elif action == "delete":
                client.delete_user(user_id)
            else:
                client.delete_user(user_id, hard_delete=True, mark_messages_deleted=True)
    except StreamError as exc:
        if exc.status != 404:  # a user Stream never had is already gone
            raise


def schedule_removal(user: AbstractBaseUser, *, using: str | None = None) -> None:
    """Remove ``user`` from Stream (``ON_USER_DELETE``) after commit; never raises.

    The Stream id is read now: after a delete Django clears the instance's primary key.
    """
    if not sync_enabled() or not get_setting("ON_USER_DELETE"):
        return
    try:
        user_id = stream_user_id(user)
    except Exception:  # a broken USER_ID callable must not break the delete
        logger.exception("No Stream id for deleted user pk=%r", user.pk)
        return

    from . import scheduling

    transaction.on_commit(lambda: scheduling.run_removal(user_id), using=using)
