"""One-to-one conversations: their deterministic ids, and getting or creating them in Stream.

A pair of users always maps to the same channel id, whoever asks and however often, so "Message
this user" never opens a second conversation. The id is readable (``dm-12-40``) when it can be,
and a hash of the pair when the ids are long (UUID keys), contain characters Stream does not allow
in channel ids, or contain ``-`` (which would make ``a-b`` + ``c`` and ``a`` + ``b-c`` collide).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from .client import get_client, stream_errors
from .conf import get_setting
from .sync import sync_users
from .users import stream_user_id

#: Stream's limit on channel ids.
MAX_CHANNEL_ID_LENGTH = 64

#: Characters Stream allows in channel ids (``^[\w!_-]+$`` in the JS SDK, ASCII here).
CHANNEL_ID_RE = re.compile(r"^[A-Za-z0-9_!-]+$")

#: User ids that may appear as they are in a readable channel id: no ``-``, no ``@``.
_READABLE_PART_RE = re.compile(r"^[A-Za-z0-9_]+$")

#: Hex digits of the pair's hash (128 bits: collisions are not a practical concern).
HASH_LENGTH = 32


def direct_channel_id(a: str, b: str, *, prefix: str | None = None) -> str:
    """The channel id of the conversation between Stream users ``a`` and ``b`` (order ignored).

    ``<prefix>-<low>-<high>`` when both ids are plain (letters, digits, ``_``) and it fits in 64
    characters; else ``<prefix>-<hash of the pair>``. A hashed id has no second ``-`` after the
    prefix, so it can never equal a readable one.
    """
    prefix = get_setting("CHANNEL_ID_PREFIX") if prefix is None else prefix
    low, high = sorted((a, b))
    readable = f"{prefix}-{low}-{high}"
    plain = all(_READABLE_PART_RE.match(part) for part in (low, high))
    if plain and len(readable) <= MAX_CHANNEL_ID_LENGTH:
        return readable
    digest = hashlib.sha256(json.dumps([low, high]).encode()).hexdigest()[:HASH_LENGTH]
    return f"{prefix}-{digest}"


def is_valid_channel_id(channel_id: str) -> bool:
    return len(channel_id) <= MAX_CHANNEL_ID_LENGTH and bool(CHANNEL_ID_RE.match(channel_id))


@dataclass
class DirectChannel:
    """A one-to-one channel as the API answers it."""

    channel_type: str
    channel_id: str
    members: list[str] = field(default_factory=list)

    @property
    def cid(self) -> str:
        return f"{self.channel_type}:{self.channel_id}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "channel_id": self.channel_id,
            "channel_type": self.channel_type,
            "cid": self.cid,
            "members": self.members,
        }


def get_or_create_direct_channel(
    user: AbstractBaseUser,
    other: AbstractBaseUser,
    *,
    channel_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> DirectChannel:
    """Make sure both users exist in Stream, then get or create their channel, created by ``user``.

    Its members are exactly the two users: if someone else created a channel with this id first
    (a client with create permission could), the members are put right. Raises ``StreamError``.
    """
    sync_users([user, other])
    user_id, other_id = stream_user_id(user), stream_user_id(other)
    channel_id = channel_id or direct_channel_id(user_id, other_id)
    if not is_valid_channel_id(channel_id):
        raise ValueError(f"{channel_id!r} is not a valid Stream channel id.")
    channel_type = get_setting("CHANNEL_TYPE")
    wanted = sorted({user_id, other_id})
    channel_data = {**(data or {}), "members": wanted}
    channel = get_client().channel(channel_type, channel_id, channel_data)
    with stream_errors():
        state = channel.create(user_id)
        if "members" in state:
            _put_members_right(channel, state["members"], wanted)
    return DirectChannel(channel_type, channel_id, wanted)


def _put_members_right(channel: Any, members: list[dict[str, Any]], wanted: list[str]) -> None:
    current = {str(m.get("user_id") or m.get("user", {}).get("id")) for m in members}
    missing = [user_id for user_id in wanted if user_id not in current]
    extra = sorted(current - set(wanted))
    if missing:
        channel.add_members(missing)
    if extra:
        channel.remove_members(extra)
