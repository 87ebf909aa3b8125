"""Receivers for the user model's signals: thin, they only ask ``sync`` to schedule work.

Connected once from ``AppConfig.ready`` to ``AUTH_USER_MODEL`` (whatever it is). The work itself
happens after the transaction commits, so a rolled-back save never reaches Stream, and a Stream
failure never turns a successful save into an error.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models.signals import post_delete, post_save

from . import sync

DISPATCH_UID = "django_streaminbox.receivers"


def connect() -> None:
    """Connect the receivers; called once from ``AppConfig.ready``."""
    model = settings.AUTH_USER_MODEL
    post_save.connect(user_saved, sender=model, dispatch_uid=f"{DISPATCH_UID}.saved")
    post_delete.connect(user_deleted, sender=model, dispatch_uid=f"{DISPATCH_UID}.deleted")


def user_saved(
    sender: type[AbstractBaseUser],
    instance: AbstractBaseUser,
    raw: bool = False,
    using: str | None = None,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    """Schedule a sync, except for fixture loads and saves Stream cannot see (a login)."""
    if raw:
        return
    if update_fields is not None and set(update_fields) <= sync.UNSEEN_FIELDS:
        return
    sync.schedule(instance, using=using)


def user_deleted(
    sender: type[AbstractBaseUser],
    instance: AbstractBaseUser,
    using: str | None = None,
    **kwargs: Any,
) -> None:
    """Deactivate or delete the user in Stream after commit (``STREAMINBOX_ON_USER_DELETE``)."""
    sync.schedule_removal(instance, using=using)
