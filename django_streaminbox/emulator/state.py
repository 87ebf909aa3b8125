"""Everything the emulator remembers: users, channels, members, messages, read state, tasks.

Plain dataclasses in dicts, touched only from the emulator's event-loop thread. ``State.reset()``
empties
it in place (cheap: the pytest fixture calls it before every test), and ``to_json``/``from_json``
back
``--data FILE`` so a demo keeps its conversations across restarts.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any


def now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """RFC 3339 with microseconds and ``Z``, as Stream writes timestamps."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_FRACTION = re.compile(r"(\.\d+)")


def parse_iso(text: str | None) -> datetime | None:
    """RFC 3339, as JS (3 fraction digits) or Stream (6) write it; Python 3.10's parser needs 6."""
    if text is None:
        return None
    text = _FRACTION.sub(lambda m: (m.group(1) + "000000")[:7], text.replace("Z", "+00:00"), 1)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class User:
    id: str
    role: str = "user"
    #: Everything the caller may write: name, image, teams, language, invisible, custom fields.
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    last_active: datetime | None = None
    deactivated_at: datetime | None = None
    deleted_at: datetime | None = None
    banned: bool = False
    #: User tokens issued before this (or without ``iat``) are refused with code 42.
    revoke_tokens_issued_before: datetime | None = None

    @property
    def name(self) -> str:
        value = self.data.get("name")
        return value if isinstance(value, str) else ""


@dataclass
class Member:
    user_id: str
    channel_role: str = "channel_member"
    data: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)


@dataclass
class Read:
    """One member's read position in one channel; the unread count is kept up to date
    incrementally."""

    last_read: datetime
    unread_messages: int = 0
    last_read_message_id: str | None = None


@dataclass
class Message:
    id: str
    cid: str
    user_id: str
    seq: int
    text: str = ""
    type: str = "regular"
    #: attachments, mentioned_users, custom fields...
    data: dict[str, Any] = field(default_factory=dict)
    parent_id: str | None = None
    show_in_channel: bool = False
    silent: bool = False
    reply_count: int = 0
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    deleted_at: datetime | None = None

    @property
    def in_channel(self) -> bool:
        """Thread replies only show in the channel's message list when ``show_in_channel`` is
        set."""
        return self.parent_id is None or self.show_in_channel

    @property
    def counts_as_unread(self) -> bool:
        return self.in_channel and not self.silent and self.type == "regular"


@dataclass
class Channel:
    type: str
    id: str
    created_by_id: str
    data: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    reads: dict[str, Read] = field(default_factory=dict)
    #: Messages shown in the channel (thread-only replies excluded), oldest first, by ``seq``.
    messages: list[Message] = field(default_factory=list)
    distinct: bool = False
    created_at: datetime = field(default_factory=now)
    updated_at: datetime = field(default_factory=now)
    last_message_at: datetime | None = None

    @property
    def cid(self) -> str:
        return f"{self.type}:{self.id}"


@dataclass
class State:
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    #: user id -> cids of the channels the user is a member of.
    memberships: dict[str, set[str]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    app_settings: dict[str, Any] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        self.users.clear()
        self.channels.clear()
        self.messages.clear()
        self.memberships.clear()
        self.tasks.clear()
        self.app_settings.clear()
        self._seq = itertools.count(1)

    def next_seq(self) -> int:
        return next(self._seq)

    # -- membership index -------------------------------------------------------------------------

    def add_member(self, channel: Channel, member: Member, read_from: datetime) -> None:
        channel.members[member.user_id] = member
        channel.reads.setdefault(member.user_id, Read(last_read=read_from))
        self.memberships.setdefault(member.user_id, set()).add(channel.cid)

    def remove_member(self, channel: Channel, user_id: str) -> None:
        channel.members.pop(user_id, None)
        channel.reads.pop(user_id, None)
        self.memberships.get(user_id, set()).discard(channel.cid)

    def channels_of(self, user_id: str) -> list[Channel]:
        return [
            self.channels[cid] for cid in self.memberships.get(user_id, ()) if cid in self.channels
        ]

    # -- unread -----------------------------------------------------------------------------------

    def unread_totals(self, user_id: str) -> dict[str, int]:
        """The per-user totals Stream puts on ``me`` and on notification events."""
        total = channels = 0
        for cid in self.memberships.get(user_id, ()):
            channel = self.channels.get(cid)
            read = channel.reads.get(user_id) if channel else None
            if read and read.unread_messages:
                total += read.unread_messages
                channels += 1
        return {
            "total_unread_count": total,
            "unread_count": total,
            "unread_channels": channels,
            "unread_threads": 0,
        }

    def task(self, result: dict[str, Any]) -> str:
        """Stream runs batch deletes as tasks; the emulator completes them at once."""
        task_id = new_id()
        stamp = iso(now())
        self.tasks[task_id] = {
            "task_id": task_id,
            "status": "completed",
            "created_at": stamp,
            "updated_at": stamp,
            "result": result,
        }
        return task_id

    # -- persistence (--data FILE) ----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "saved_at": time.time(),
            "users": [_user_json(user) for user in self.users.values()],
            "channels": [_channel_json(channel) for channel in self.channels.values()],
            "messages": [_message_json(message) for message in self.messages.values()],
            "app_settings": self.app_settings,
        }

    def load_json(self, data: dict[str, Any]) -> None:
        self.reset()
        for raw in data.get("users", []):
            user = User(
                id=raw["id"],
                role=raw["role"],
                data=raw["data"],
                banned=raw.get("banned", False),
                created_at=_dt(raw["created_at"]),
                updated_at=_dt(raw["updated_at"]),
                last_active=parse_iso(raw.get("last_active")),
                deactivated_at=parse_iso(raw.get("deactivated_at")),
                deleted_at=parse_iso(raw.get("deleted_at")),
                revoke_tokens_issued_before=parse_iso(raw.get("revoke_tokens_issued_before")),
            )
            self.users[user.id] = user
        for raw in data.get("channels", []):
            channel = Channel(
                type=raw["type"],
                id=raw["id"],
                created_by_id=raw["created_by_id"],
                data=raw["data"],
                distinct=raw["distinct"],
                created_at=_dt(raw["created_at"]),
                updated_at=_dt(raw["updated_at"]),
                last_message_at=parse_iso(raw.get("last_message_at")),
            )
            self.channels[channel.cid] = channel
            for m in raw["members"]:
                member = Member(
                    user_id=m["user_id"],
                    channel_role=m["channel_role"],
                    data=m["data"],
                    created_at=_dt(m["created_at"]),
                    updated_at=_dt(m["updated_at"]),
                )
                self.add_member(channel, member, now())
            for user_id, r in raw["reads"].items():
                if user_id in channel.reads:
                    channel.reads[user_id] = Read(
                        last_read=_dt(r["last_read"]),
                        unread_messages=r["unread_messages"],
                        last_read_message_id=r.get("last_read_message_id"),
                    )
        top = 0
        for raw in sorted(data.get("messages", []), key=lambda m: m["seq"]):
            message = Message(
                id=raw["id"],
                cid=raw["cid"],
                user_id=raw["user_id"],
                seq=raw["seq"],
                text=raw["text"],
                type=raw["type"],
                data=raw["data"],
                parent_id=raw.get("parent_id"),
                show_in_channel=raw.get("show_in_channel", False),
                silent=raw.get("silent", False),
                reply_count=raw.get("reply_count", 0),
                created_at=_dt(raw["created_at"]),
                updated_at=_dt(raw["updated_at"]),
                deleted_at=parse_iso(raw.get("deleted_at")),
            )
            top = max(top, message.seq)
            channel_of = self.channels.get(message.cid)
            if channel_of is None:
                continue
            self.messages[message.id] = message
            if message.in_channel:
                channel_of.messages.append(message)
        self._seq = itertools.count(top + 1)
        self.app_settings.update(data.get("app_settings", {}))


def _dt(text: str) -> datetime:
    moment = parse_iso(text)
    assert moment is not None
    return moment


def _user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "role": user.role,
        "data": user.data,
        "banned": user.banned,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "last_active": iso(user.last_active),
        "deactivated_at": iso(user.deactivated_at),
        "deleted_at": iso(user.deleted_at),
        "revoke_tokens_issued_before": iso(user.revoke_tokens_issued_before),
    }


def _channel_json(channel: Channel) -> dict[str, Any]:
    return {
        "type": channel.type,
        "id": channel.id,
        "created_by_id": channel.created_by_id,
        "data": channel.data,
        "distinct": channel.distinct,
        "created_at": iso(channel.created_at),
        "updated_at": iso(channel.updated_at),
        "last_message_at": iso(channel.last_message_at),
        "members": [
            {
                "user_id": m.user_id,
                "channel_role": m.channel_role,
                "data": m.data,
                "created_at": iso(m.created_at),
                "updated_at": iso(m.updated_at),
            }
            for m in channel.members.values()
        ],
        "reads": {
            user_id: {
                "last_read": iso(r.last_read),
                "unread_messages": r.unread_messages,
                "last_read_message_id": r.last_read_message_id,
            }
            for user_id, r in channel.reads.items()
        },
    }


def _message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "cid": message.cid,
        "user_id": message.user_id,
        "seq": message.seq,
        "text": message.text,
        "type": message.type,
        "data": message.data,
        "parent_id": message.parent_id,
        "show_in_channel": message.show_in_channel,
        "silent": message.silent,
        "reply_count": message.reply_count,
        "created_at": iso(message.created_at),
        "updated_at": iso(message.updated_at),
        "deleted_at": iso(message.deleted_at),
    }
