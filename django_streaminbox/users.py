"""What a Django user is to Stream: an id, the data Stream sees, and who may message whom.

Each is a dotted-path setting (``STREAMINBOX_USER_ID``, ``STREAMINBOX_USER_DATA``,
``STREAMINBOX_CAN_MESSAGE``) so a site changes behaviour without subclassing; the defaults below are
deliberately small: the primary key, the name, and "any other active user". The email address is
never sent: Stream shows user data to every member of a channel.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.module_loading import import_string

from .conf import get_setting

#: Stream's user-id rule: letters, digits, ``@``, ``_`` and ``-``, at most 255 characters.
STREAM_USER_ID_RE = re.compile(r"^[A-Za-z0-9@_-]{1,255}$")


def default_user_id(user: AbstractBaseUser) -> str:
    """The primary key as a string: stable, unique, and meaningless to anyone who sees it."""
    return str(user.pk)


def default_user_data(user: AbstractBaseUser) -> dict[str, Any]:
    """The user's full name, else their username, unless the username is their email address."""
    get_full_name = getattr(user, "get_full_name", None)
    name = (get_full_name() if callable(get_full_name) else "") or ""
    username_field = getattr(user, "USERNAME_FIELD", "username")
    if not name.strip() and username_field != getattr(user, "EMAIL_FIELD", "email"):
        name = user.get_username()
    return {"name": name.strip()} if name.strip() else {}


def default_can_message(sender: AbstractBaseUser, recipient: AbstractBaseUser) -> bool:
    """Anyone may message any other active user."""
    return sender.pk != recipient.pk and bool(getattr(recipient, "is_active", True))


def _setting_callable(name: str) -> Callable[..., Any]:
    func: Callable[..., Any] = import_string(get_setting(name))
    return func


def stream_user_id(user: AbstractBaseUser) -> str:
    """The user's Stream id, from ``STREAMINBOX_USER_ID``; refused if Stream would refuse it."""
    user_id = _setting_callable("USER_ID")(user)
    if not isinstance(user_id, str) or not STREAM_USER_ID_RE.match(user_id):
        raise ValueError(
            f"STREAMINBOX_USER_ID gave {user_id!r} for user pk={user.pk!r}; Stream user ids are "
            "1 to 255 letters, digits, '@', '_' or '-'."
        )
    return user_id


def stream_user_data(user: AbstractBaseUser) -> dict[str, Any]:
    """Exactly what Stream is sent for this user: ``STREAMINBOX_USER_DATA``'s dict plus the id."""
    data = dict(_setting_callable("USER_DATA")(user))
    data["id"] = stream_user_id(user)
    return data


def can_message(sender: AbstractBaseUser, recipient: AbstractBaseUser) -> bool:
    """Whether ``sender`` may start a conversation with ``recipient`` (CAN_MESSAGE)."""
    return bool(_setting_callable("CAN_MESSAGE")(sender, recipient))


def fingerprint(data: dict[str, Any]) -> str:
    """A short hash of the data Stream sees: equal fingerprints mean there is nothing to send."""
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]
