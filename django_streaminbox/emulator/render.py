"""The JSON shapes Stream answers with: users, members, messages, channels and channel state.

These follow what the SDKs read without guards (reference §2.2-§2.4, §3): a ChannelState always has
``channel{id,type,cid,config,own_capabilities}`` and a ``messages`` array; every ``read[]`` entry
has
``user`` and ``last_read``; custom fields sit at the top level of each object.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .state import Channel, Member, Message, Read, User, iso

if TYPE_CHECKING:
    from .context import Emulation

BUILTIN_CHANNEL_TYPES = ("messaging", "team", "livestream", "gaming", "commerce")
MAX_MESSAGE_LENGTH = 5000

CAPABILITIES = [
    "ban-channel-members",
    "connect-events",
    "delete-own-message",
    "flag-message",
    "leave-channel",
    "mute-channel",
    "pin-message",
    "quote-message",
    "read-events",
    "search-messages",
    "send-custom-events",
    "send-links",
    "send-message",
    "send-reaction",
    "send-reply",
    "send-typing-events",
    "typing-events",
    "update-own-message",
    "upload-file",
]
#: Server-side callers (and channel owners) may also manage the channel.
SERVER_CAPABILITIES = sorted(
    [
        *CAPABILITIES,
        "delete-any-message",
        "delete-channel",
        "update-any-message",
        "update-channel",
        "update-channel-members",
    ]
)


def channel_config(channel_type: str, created: str | None = None) -> dict[str, Any]:
    """A built-in type's config; ``read_events``/``typing_events`` on, or the JS SDK does
    nothing."""
    return {
        "name": channel_type,
        "typing_events": True,
        "read_events": True,
        "connect_events": True,
        "search": True,
        "reactions": True,
        "replies": True,
        "quotes": True,
        "mutes": True,
        "uploads": True,
        "url_enrichment": True,
        "custom_events": True,
        "push_notifications": True,
        "reminders": False,
        "mark_messages_pending": False,
        "polls": False,
        "delivery_events": False,
        "shared_locations": False,
        "skip_last_msg_update_for_system_msgs": False,
        "message_retention": "infinite",
        "max_message_length": MAX_MESSAGE_LENGTH,
        "automod": "disabled",
        "automod_behavior": "flag",
        "blocklist_behavior": "flag",
        "commands": [],
        "created_at": created or "2020-01-01T00:00:00.000000Z",
        "updated_at": created or "2020-01-01T00:00:00.000000Z",
    }


class Renderer:
    """Builds response objects; it needs the hub to know who is online and who is watching."""

    def __init__(self, emulation: Emulation) -> None:
        self.emulation = emulation

    def user(self, user: User | None, uid: str = "") -> dict[str, Any]:
        if user is None:  # a hard-deleted author
            return {"id": uid, "role": "user", "online": False, "banned": False, "deleted": True}
        invisible = user.data.get("invisible") is True
        online = not invisible and self.emulation.hub.is_online(user.id)
        result: dict[str, Any] = {
            **user.data,
            "id": user.id,
            "role": user.role,
            "teams": user.data.get("teams", []),
            "created_at": iso(user.created_at),
            "updated_at": iso(user.updated_at),
            "banned": user.banned,
            "online": online,
            "invisible": invisible,
            "language": user.data.get("language", ""),
            "blocked_user_ids": user.data.get("blocked_user_ids", []),
        }
        if user.last_active is not None:
            result["last_active"] = iso(user.last_active)
        if user.deactivated_at is not None:
            result["deactivated_at"] = iso(user.deactivated_at)
        if user.deleted_at is not None:
            result["deleted_at"] = iso(user.deleted_at)
        if user.revoke_tokens_issued_before is not None:
            result["revoke_tokens_issued_before"] = iso(user.revoke_tokens_issued_before)
        return result

    def user_by_id(self, uid: str) -> dict[str, Any]:
        return self.user(self.emulation.state.users.get(uid), uid)

    def me(self, user: User) -> dict[str, Any]:
        """The own user on ``health.check``: ``mutes``/``channel_mutes`` MUST be arrays (§1.2)."""
        return {
            **self.user(user),
            "channel_mutes": [],
            "mutes": [],
            "devices": [],
            "blocked_user_ids": user.data.get("blocked_user_ids", []),
            **self.emulation.state.unread_totals(user.id),
        }

    def member(self, member: Member, channel: Channel) -> dict[str, Any]:
        return {
            **member.data,
            "user_id": member.user_id,
            "user": self.user_by_id(member.user_id),
            "channel_role": member.channel_role,
            "role": "owner" if member.user_id == channel.created_by_id else "member",
            "created_at": iso(member.created_at),
            "updated_at": iso(member.updated_at),
            "banned": False,
            "shadow_banned": False,
            "notifications_muted": False,
            "status": "member",
        }

    def read(self, uid: str, read: Read) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "user": self.user_by_id(uid),
            "last_read": iso(read.last_read),
            "unread_messages": read.unread_messages,
        }
        if read.last_read_message_id:
            entry["last_read_message_id"] = read.last_read_message_id
        return entry

    def message(self, message: Message) -> dict[str, Any]:
        users = self.emulation.state.users
        mentioned = [m for m in message.data.get("mentioned_users", []) if isinstance(m, str)]
        result: dict[str, Any] = {
            **message.data,
            "id": message.id,
            "text": message.text,
            "html": f"<p>{html.escape(message.text)}</p>\n" if message.text else "",
            "type": message.type,
            "cid": message.cid,
            "user": self.user(users.get(message.user_id), message.user_id),
            "attachments": message.data.get("attachments", []),
            "mentioned_users": [self.user(users.get(m), m) for m in mentioned],
            "latest_reactions": [],
            "own_reactions": [],
            "reaction_counts": {},
            "reaction_scores": {},
            "reaction_groups": None,
            "reply_count": message.reply_count,
            "deleted_reply_count": 0,
            "created_at": iso(message.created_at),
            "updated_at": iso(message.updated_at),
            "shadowed": False,
            "pinned": False,
            "pinned_at": None,
            "pinned_by": None,
            "pin_expires": None,
            "silent": message.silent,
            "restricted_visibility": [],
        }
        if message.parent_id:
            result["parent_id"] = message.parent_id
            result["show_in_channel"] = message.show_in_channel
        if message.deleted_at is not None:
            result["deleted_at"] = iso(message.deleted_at)
        return result

    def channel(
        self, channel: Channel, viewer: str | None, *, server: bool = False, members: bool = False
    ) -> dict[str, Any]:
        """The ``channel`` object; with ``members`` as notification events carry it."""
        created = iso(channel.created_at)
        result: dict[str, Any] = {
            **channel.data,
            "id": channel.id,
            "type": channel.type,
            "cid": channel.cid,
            "created_at": created,
            "updated_at": iso(channel.updated_at),
            "created_by": self.user_by_id(channel.created_by_id),
            "frozen": False,
            "disabled": False,
            "member_count": len(channel.members),
            "config": channel_config(channel.type),
            "own_capabilities": self.capabilities(channel, viewer, server),
            "hidden": False,
        }
        if channel.last_message_at is not None:
            result["last_message_at"] = iso(channel.last_message_at)
        if members:
            result["members"] = [self.member(m, channel) for m in channel.members.values()]
        return result

    @staticmethod
    def capabilities(channel: Channel, viewer: str | None, server: bool) -> list[str]:
        if server or (viewer is not None and viewer == channel.created_by_id):
            return SERVER_CAPABILITIES
        if viewer is not None and viewer in channel.members:
            return CAPABILITIES
        return []

    def channel_state(
        self,
        channel: Channel,
        viewer: str | None,
        *,
        server: bool,
        messages: list[Message],
        member_limit: int = 100,
        member_offset: int = 0,
    ) -> dict[str, Any]:
        hub = self.emulation.hub
        members = list(channel.members.values())[member_offset : member_offset + member_limit]
        state: dict[str, Any] = {
            "channel": self.channel(channel, viewer, server=server),
            "messages": [self.message(m) for m in messages],
            "pinned_messages": [],
            "members": [self.member(m, channel) for m in members],
            "read": [self.read(uid, read) for uid, read in channel.reads.items()],
            "watcher_count": hub.watcher_count(channel.cid),
            "watchers": [self.user_by_id(uid) for uid in hub.watching_users(channel.cid)],
            "threads": [],
        }
        if viewer is not None and viewer in channel.members:
            state["membership"] = self.member(channel.members[viewer], channel)
        return state
