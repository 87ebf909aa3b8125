"""User sync through Django's Tasks framework, for ``STREAMINBOX_SYNC_BACKEND = "task"``.

Why a task: a save then costs the request one row in a queue instead of a call to Stream, and
whatever worker the site already runs (the database backend, RQ, a Celery-backed one) carries
the sync with its own retries and monitoring; nothing here is home-made.

Django 6's ``django.tasks`` is used when it exists, else the ``django-tasks`` backport
(``pip install "django-streaminbox[tasks]"``). Only ``sync`` imports this module, and only when
the setting asks for tasks, so the package imports without either (system check
``streaminbox.E009`` says when the setting names a framework that is not installed).

A task carries the user's primary key, never their data: the worker reads the row when it runs
and sends what the database holds then. A sync that fails raises, so the backend records the
failure (and retries, if it does); the user's fingerprint stays unrecorded, so the next sync of
them and ``manage.py streaminbox_sync`` send them anyway.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from .conf import get_setting

try:  # Django 6
    from django.tasks import task
except ImportError:  # Django 5.2: the backport, or a clear ImportError
    try:
        from django_tasks import task  # type: ignore[no-redef]
    except ImportError as exc:  # pragma: no cover - the test environment has the backport
        raise ImportError(
            'STREAMINBOX_SYNC_BACKEND = "task" needs Django 6 or the django-tasks backport: '
            'pip install "django-streaminbox[tasks]".'
        ) from exc

logger = logging.getLogger("django_streaminbox")

#: How many times one task waits for Stream's rate-limit window to reopen before giving up
#: (and raising, so the backend can retry it later).
RATE_LIMIT_WAITS = 3


@task
def sync_user(pk: str) -> dict[str, int]:
    """Send Stream the current data of the user with this primary key (if it still exists)."""
    from .scheduling import sync_latest

    user = _load_user(pk)
    if user is None:  # deleted before the worker got here: its removal has its own task
        return {"sent": 0, "unchanged": 0}
    report = sync_latest(
        user, raise_errors=True, wait_on_rate_limit=True, max_waits=RATE_LIMIT_WAITS
    )
    return {"sent": report.sent, "unchanged": report.unchanged}


@task
def remove_user(user_id: str, action: str) -> int:
    """Deactivate or delete this Stream user (``STREAMINBOX_ON_USER_DELETE``, read at enqueue)."""
    from .sync import remove_users

    return remove_users([user_id], action=action, raise_errors=True)


def enqueue_sync(user: AbstractBaseUser) -> None:
    """Queue ``sync_user`` for ``user``; called after commit, so the worker sees the saved row."""
    _configured(sync_user).enqueue(_pk_string(user))


def enqueue_removal(user_id: str, action: str) -> None:
    """Queue ``remove_user`` for a Stream id read while the deleted instance still had it."""
    _configured(remove_user).enqueue(user_id, action)


def _configured(target: Any) -> Any:
    """The task on the backend and queue the settings name, read at call time."""
    return target.using(backend=get_setting("TASK_BACKEND"), queue_name=get_setting("TASK_QUEUE"))


def _pk_string(user: AbstractBaseUser) -> str:
    # A string whatever the key's type (int, UUID, ...): task arguments must be JSON.
    return str(user._meta.pk.value_to_string(user))


def _load_user(pk: str) -> AbstractBaseUser | None:
    model = get_user_model()
    user: AbstractBaseUser | None = model._default_manager.filter(pk=pk).first()
    return user
