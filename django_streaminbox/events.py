"""The Stream event a webhook delivers, as the ``stream_event`` signal hands it to receivers.

Receivers get a :class:`StreamEvent`: the few fields every receiver needs, read out of the
payload once (``type``, ``cid``, the acting Stream user's id, ``created_at``), the Django user
behind that id looked up only when asked for, and the whole raw ``payload`` for everything else.
Compare ``event.type`` with the :class:`EventType` constants rather than string literals: a typo
then fails loudly instead of never matching.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from .conf import get_setting


class EventType:
    """Names of the events Stream sends to webhooks (docs: "Webhook events").

    Stream adds new types over time and a webhook subscribed to all events receives them too:
    receivers should ignore types they do not know rather than fail on them.
    """

    MESSAGE_NEW = "message.new"
    MESSAGE_UPDATED = "message.updated"
    MESSAGE_DELETED = "message.deleted"
    MESSAGE_READ = "message.read"
    MESSAGE_FLAGGED = "message.flagged"
    REACTION_NEW = "reaction.new"
    REACTION_UPDATED = "reaction.updated"
    REACTION_DELETED = "reaction.deleted"
    CHANNEL_CREATED = "channel.created"
    CHANNEL_UPDATED = "channel.updated"
    CHANNEL_DELETED = "channel.deleted"
    CHANNEL_TRUNCATED = "channel.truncated"
    CHANNEL_HIDDEN = "channel.hidden"
    CHANNEL_VISIBLE = "channel.visible"
    CHANNEL_MUTED = "channel.muted"
    CHANNEL_UNMUTED = "channel.unmuted"
    MEMBER_ADDED = "member.added"
    MEMBER_UPDATED = "member.updated"
    MEMBER_REMOVED = "member.removed"
    USER_UPDATED = "user.updated"
    USER_DELETED = "user.deleted"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_BANNED = "user.banned"
    USER_UNBANNED = "user.unbanned"


class StreamEvent:
    """One event from Stream: what happened, where, by whom, and the payload it came with.

    ``webhook_id`` is Stream's ``X-Webhook-Id`` (the same on every retry of one delivery) and
    ``attempt`` its ``X-Webhook-Attempt``: receivers doing non-idempotent work can use the id as
    their own key.
    """

    def __init__(
        self, payload: Mapping[str, Any], *, webhook_id: str = "", attempt: int = 1
    ) -> None:
        self.payload = payload
        self.webhook_id = webhook_id
        self.attempt = attempt
        self.type: str = str(payload.get("type", ""))
        self.cid: str | None = _text_or_none(payload.get("cid"))
        self.user_id: str | None = _acting_user_id(payload)
        self.created_at: datetime.datetime | None = _datetime_or_none(payload.get("created_at"))

    def __repr__(self) -> str:
        return f"<StreamEvent {self.type} cid={self.cid!r} user_id={self.user_id!r}>"

    @property
    def message(self) -> Mapping[str, Any] | None:
        """The message of ``message.*`` and ``reaction.*`` events, else ``None``."""
        message = self.payload.get("message")
        return message if isinstance(message, Mapping) else None

    @property
    def member_ids(self) -> list[str]:
        """Stream user ids of the channel members the payload lists (Stream truncates it to 50)."""
        members = self.payload.get("members")
        if not isinstance(members, list):
            return []
        return [member_id for member in members if (member_id := _member_id(member))]

    @cached_property
    def user(self) -> AbstractBaseUser | None:
        """The Django user who acted, or ``None``: looked up on first access only, then kept."""
        if self.user_id is None:
            return None
        return django_user_for(self.user_id)


def django_user_for(stream_user_id: str) -> AbstractBaseUser | None:
    """The active Django user whose Stream id is ``stream_user_id``, or ``None``.

    Stream ids are the primary key as a string unless ``STREAMINBOX_USER_ID`` says otherwise; a site
    with its own ids sets ``STREAMINBOX_USER_LOOKUP`` to the reverse of that callable.
    """
    lookup = get_setting("USER_LOOKUP")
    if lookup:
        found: AbstractBaseUser | None = import_string(lookup)(stream_user_id)
        return found
    return default_user_lookup(stream_user_id)


def default_user_lookup(stream_user_id: str) -> AbstractBaseUser | None:
    """The reverse of the default ``STREAMINBOX_USER_ID``: the user whose primary key this is."""
    model = get_user_model()
    try:
        pk = model._meta.pk.to_python(stream_user_id)
    except Exception:  # a Stream id that cannot be this model's key names nobody here
        return None
    user: AbstractBaseUser | None = model._default_manager.filter(pk=pk).first()
    if user is None or not getattr(user, "is_active", True):
        return None
    return user


def _acting_user_id(payload: Mapping[str, Any]) -> str | None:
    user = payload.get("user")
    if isinstance(user, Mapping):
        return _text_or_none(user.get("id"))
    return _text_or_none(payload.get("user_id"))


def _member_id(member: object) -> str | None:
    if not isinstance(member, Mapping):
        return None
    user = member.get("user")
    if isinstance(user, Mapping) and _text_or_none(user.get("id")):
        return _text_or_none(user.get("id"))
    return _text_or_none(member.get("user_id"))


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _datetime_or_none(value: object) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None
