"""System checks with stable ids, so that a misconfiguration is reported, never raised at start-up.

``manage.py check`` (and every command that runs checks) lists these; nothing here imports the
Stream SDK's network side or contacts Stream. Ids are stable: silence one with
``SILENCED_SYSTEM_CHECKS = ["streaminbox.E001"]`` in a build step that has no credentials.

- E001 / E002 (``check --deploy``): ``STREAMINBOX_API_KEY`` / ``STREAMINBOX_API_SECRET`` is not
  set. Without ``--deploy`` the same is only the warning W001, so that ``migrate`` and
  ``collectstatic`` still run in a build step that has no secrets.
- E003: the secret is shorter than 32 bytes, too short to sign tokens safely with HS256.
- E004: a dotted-path setting does not import to a callable.
- E005: ``STREAMINBOX_ON_USER_DELETE`` is not one of the known actions.
- E006: ``STREAMINBOX_CHANNEL_TYPE`` or ``STREAMINBOX_CHANNEL_ID_PREFIX`` breaks Stream's id rules.
- E007: ``STREAMINBOX_CACHE`` is not an alias in ``CACHES``.
- E008: ``STREAMINBOX_TIMEOUT`` or ``STREAMINBOX_TOKEN_TTL`` is not a positive number.
- E009: ``STREAMINBOX_SYNC_BACKEND`` is neither ``"on_commit"`` nor ``"task"``.
- E010: ``STREAMINBOX_SYNC_BACKEND = "task"`` but no Tasks framework is installed (Django 6's
  ``django.tasks`` or the ``django-tasks`` backport).
- E011: ``STREAMINBOX_TASK_BACKEND`` is not an alias in ``TASKS``.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from .conf import get_setting
from .scheduling import SYNC_BACKENDS, tasks_framework
from .sync import DELETE_ACTIONS

#: HS256 with a key shorter than its 32-byte output is weak (and PyJWT warns).
MIN_SECRET_BYTES = 32

#: Settings that hold dotted paths to callables; an empty value means "not used".
CALLABLE_SETTINGS = ("USER_ID", "USER_DATA", "CAN_MESSAGE", "USER_LOOKUP", "EMAIL_PREFERENCE")

_CHANNEL_TYPE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PREFIX_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


@register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    errors += _check_credentials()
    errors += _check_callables()
    errors += _check_values()
    errors += _check_sync_backend()
    return errors


@register(deploy=True)
def check_credentials_for_deploy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for number, name in (("001", "API_KEY"), ("002", "API_SECRET")):
        if not get_setting(name):
            errors.append(
                Error(
                    f"STREAMINBOX_{name} is not set.",
                    hint="Copy it from your Stream app's dashboard.",
                    id=f"streaminbox.E{number}",
                )
            )
    return errors


def _check_credentials() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    missing = [f"STREAMINBOX_{n}" for n in ("API_KEY", "API_SECRET") if not get_setting(n)]
    if missing:
        errors.append(
            Warning(
                f"{' and '.join(missing)} not set: the messaging endpoints answer 503.",
                hint="Set them from your Stream dashboard, or run the emulator for local work.",
                id="streaminbox.W001",
            )
        )
    secret = get_setting("API_SECRET")
    if secret and len(str(secret).encode()) < MIN_SECRET_BYTES:
        errors.append(
            Error(
                f"STREAMINBOX_API_SECRET is shorter than {MIN_SECRET_BYTES} bytes.",
                hint="Use the secret Stream generated for the app; it is long enough.",
                id="streaminbox.E003",
            )
        )
    return errors


def _check_callables() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for name in CALLABLE_SETTINGS:
        path = getattr(settings, f"STREAMINBOX_{name}", "")
        if not path:
            continue
        try:
            target = import_string(path)
        except ImportError as exc:
            problem = f"does not import ({exc})"
        else:
            if callable(target):
                continue
            problem = "is not callable"
        errors.append(
            Error(
                f"STREAMINBOX_{name} = {path!r} {problem}.",
                hint="Give the dotted path of a function, e.g. 'myapp.chat.user_data'.",
                id="streaminbox.E004",
            )
        )
    return errors


def _check_values() -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    action = get_setting("ON_USER_DELETE")
    if action not in DELETE_ACTIONS:
        errors.append(
            Error(
                f"STREAMINBOX_ON_USER_DELETE = {action!r} is not a known action.",
                hint="Use 'deactivate', 'delete', 'hard_delete' or '' (do nothing).",
                id="streaminbox.E005",
            )
        )
    if not _CHANNEL_TYPE_RE.match(str(get_setting("CHANNEL_TYPE"))):
        errors.append(_id_error("CHANNEL_TYPE", "letters, digits, '_' or '-'"))
    if not _PREFIX_RE.match(str(get_setting("CHANNEL_ID_PREFIX"))):
        errors.append(_id_error("CHANNEL_ID_PREFIX", "1 to 16 letters, digits, '_' or '-'"))
    if get_setting("CACHE") not in settings.CACHES:
        errors.append(
            Error(
                f"STREAMINBOX_CACHE = {get_setting('CACHE')!r} is not an alias in CACHES.",
                id="streaminbox.E007",
            )
        )
    for name in ("TIMEOUT", "TOKEN_TTL"):
        value = get_setting(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            errors.append(
                Error(f"STREAMINBOX_{name} must be a positive number.", id="streaminbox.E008")
            )
    return errors


def _check_sync_backend() -> list[CheckMessage]:
    backend = get_setting("SYNC_BACKEND")
    if backend not in SYNC_BACKENDS:
        message = f"STREAMINBOX_SYNC_BACKEND = {backend!r} is not 'on_commit' or 'task'."
        return [Error(message, id="streaminbox.E009")]
    if backend != "task":
        return []
    if tasks_framework() is None:
        return [
            Error(
                "STREAMINBOX_SYNC_BACKEND = 'task' needs Django's Tasks framework.",
                hint='Use Django 6, or pip install "django-streaminbox[tasks]" (django-tasks).',
                id="streaminbox.E010",
            )
        ]
    alias = get_setting("TASK_BACKEND")
    if alias not in (getattr(settings, "TASKS", None) or {"default": {}}):
        return [
            Error(
                f"STREAMINBOX_TASK_BACKEND = {alias!r} is not an alias in TASKS.",
                id="streaminbox.E011",
            )
        ]
    return []


def _id_error(name: str, rule: str) -> Error:
    return Error(
        f"STREAMINBOX_{name} = {get_setting(name)!r} is not usable in Stream channel ids.",
        hint=f"Use {rule}.",
        id="streaminbox.E006",
    )
