"""Messages, read state and channel events: send, page, update, delete, mark read/unread, typing.

Unread counts are kept per member and per channel as messages arrive (``Read.unread_messages``), so
``me``, events and ``GET /unread`` never have to scan history. A message counts as unread for every
member except its author, unless it is a thread-only reply, silent, or not a regular message.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any

from .context import Call
from .errors import EVENT_NOT_SUPPORTED, StreamError, invalid, not_allowed, not_found
from .events import Audience, Event
from .render import MAX_MESSAGE_LENGTH
from .routes import route
from .state import Message, Read, iso, new_id, now
from .validation import (
    array,
    boolean,
    check_custom_size,
    integer,
    obj,
    opt_obj,
    opt_string,
    string,
    string_list,
)

if TYPE_CHECKING:
    from .state import Channel

MAX_MESSAGE_ID = 255
MAX_ATTACHMENTS = 30
MAX_MENTIONS = 25
#: Message fields Stream computes or manages; never stored as custom data.
RESERVED = {
    "id",
    "text",
    "html",
    "type",
    "cid",
    "user",
    "user_id",
    "created_at",
    "updated_at",
    "deleted_at",
    "latest_reactions",
    "own_reactions",
    "reaction_counts",
    "reaction_scores",
    "reaction_groups",
    "reply_count",
    "deleted_reply_count",
    "command",
    "quoted_message",
    "pinned_by",
    "pinned_at",
    "parent_id",
    "show_in_channel",
    "silent",
    "shadowed",
    "pinned",
    "pin_expires",
    "args",
    "i18n",
    "channel",
    "thread_participants",
    "restricted_visibility",
}


def _content(raw: dict[str, Any], *, require_text: bool) -> tuple[str, dict[str, Any]]:
    """Validated text and data (attachments, mentions, custom fields) of a message payload."""
    text = raw.get("text", "")
    text = "" if text is None else string(text, "message.text")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise invalid(f"message is too long, the maximum length is {MAX_MESSAGE_LENGTH} characters")
    data: dict[str, Any] = {}
    attachments = array(
        raw.get("attachments") or [], "message.attachments", maximum=MAX_ATTACHMENTS
    )
    for index, attachment in enumerate(attachments):
        obj(attachment, f"message.attachments[{index}]")
    mentions = []
    for index, item in enumerate(
        array(raw.get("mentioned_users") or [], "message.mentioned_users", maximum=MAX_MENTIONS)
    ):
        mentions.append(item.get("id") if isinstance(item, dict) else item)
        string(mentions[-1], f"message.mentioned_users[{index}]")
    if require_text and not text.strip() and not attachments:
        raise invalid("message.text or message.attachments is required")
    if attachments:
        data["attachments"] = attachments
    if mentions:
        data["mentioned_users"] = mentions
    custom = {k: v for k, v in raw.items() if k not in RESERVED and k not in data}
    custom.pop("mentioned_users", None)
    custom.pop("attachments", None)
    check_custom_size(custom, "message")
    data.update(custom)
    return text, data


def create_message(call: Call, channel: Channel, raw: dict[str, Any], sender: str) -> Message:
    """Validate, store and announce one message (``message.new`` + ``notification.message_new``)."""
    message = prepare_message(call, channel, raw, sender)
    store_message(call, channel, message)
    return message


def prepare_message(call: Call, channel: Channel, raw: dict[str, Any], sender: str) -> Message:
    """A validated, not yet stored message: raises code 4 (or 403/404) and changes nothing."""
    text, data = _content(raw, require_text=True)
    message_id = opt_string(raw, "id", "message.id") or new_id()
    if len(message_id) > MAX_MESSAGE_ID or "," in message_id or "%" in message_id:
        raise invalid("message.id can be at most 255 characters and cannot contain , or %")
    if message_id in call.state.messages:
        raise invalid(f'a message with id "{message_id}" already exists')
    kind = opt_string(raw, "type", "message.type") or "regular"
    if kind not in ("regular", "system") or (kind == "system" and not call.server):
        raise invalid(f'message.type "{kind[:50]}" is not allowed')
    parent_id = opt_string(raw, "parent_id", "message.parent_id")
    parent = None
    if parent_id is not None:
        parent = call.state.messages.get(parent_id)
        if parent is None or parent.cid != channel.cid:
            raise invalid(f'parent message "{parent_id[:100]}" does not exist in this channel')
        if parent.parent_id is not None:
            raise StreamError(21, "replies cannot be nested")
    author = call.user(sender)
    if author.deactivated_at is not None:
        raise not_allowed(f'user "{sender}" is deactivated')
    moment = now()
    message = Message(
        id=message_id,
        cid=channel.cid,
        user_id=sender,
        seq=0,
        text=text,
        type=kind,
        data=data,
        parent_id=parent_id,
        show_in_channel=boolean(raw, "show_in_channel"),
        silent=boolean(raw, "silent"),
        created_at=moment,
        updated_at=moment,
    )
    return message


def store_message(call: Call, channel: Channel, message: Message) -> None:
    message.seq = call.state.next_seq()
    call.state.messages[message.id] = message
    parent = call.state.messages.get(message.parent_id) if message.parent_id else None
    if parent is not None:
        parent.reply_count += 1
    if message.in_channel:
        channel.messages.append(message)
        channel.last_message_at = message.created_at
    _count_unread(channel, message)
    _announce_new(call, channel, message)


def _count_unread(channel: Channel, message: Message) -> None:
    for uid, read in channel.reads.items():
        if uid == message.user_id:
            read.last_read = message.created_at
            read.unread_messages = 0
            read.last_read_message_id = message.id
        elif message.counts_as_unread:
            read.unread_messages += 1


def _announce_new(call: Call, channel: Channel, message: Message) -> None:
    from .channels import channel_event

    render = call.emulation.render
    rendered = render.message(message)
    user = render.user_by_id(message.user_id)
    hub = call.emulation.hub
    call.emulation.publish(
        Event(
            channel_event(
                channel,
                "message.new",
                message=rendered,
                user=user,
                watcher_count=hub.watcher_count(channel.cid),
                channel_member_count=len(channel.members),
                channel_last_message_at=iso(channel.last_message_at),
            ),
            Audience(watchers_of=channel.cid),
            unread_totals=True,
        )
    )
    if not message.in_channel:
        return
    others = tuple(uid for uid in channel.members if uid != message.user_id)
    if others:
        call.emulation.publish(
            Event(
                lambda: channel_event(
                    channel,
                    "notification.message_new",
                    channel=render.channel(channel, None, members=True),
                    message=rendered,
                    user=user,
                ),
                Audience(users=others, not_watching=channel.cid),
                unread_totals=True,
                type="notification.message_new",
            )
        )


def page_messages(channel: Channel, options: dict[str, Any]) -> list[Message]:
    """One page of a channel's messages, oldest first
    (``id_lt``/``id_gt``/``id_lte``/``id_gte``)."""
    limit = integer(options, "limit", 25, maximum=300)
    messages = channel.messages
    seqs = [m.seq for m in messages]
    low, high = 0, len(messages)
    for key in ("id_lt", "id_lte", "id_gt", "id_gte"):
        ref_id = opt_string(options, key, f"messages.{key}")
        if ref_id is None:
            continue
        ref = next((m for m in messages if m.id == ref_id), None)
        if ref is None:
            raise invalid(f'messages.{key}: message "{ref_id[:100]}" does not exist in the channel')
        position = bisect.bisect_left(seqs, ref.seq)
        if key == "id_lt":
            high = min(high, position)
        elif key == "id_lte":
            high = min(high, position + 1)
        elif key == "id_gt":
            low = max(low, position + 1)
        else:
            low = max(low, position)
    window = messages[low:high]
    if "id_gt" in options or "id_gte" in options:
        return window[:limit]
    return window[-limit:] if limit else []


def _find(call: Call) -> Message:
    found = call.state.messages.get(call.params["message_id"])
    if found is None:
        raise not_found(f'message "{call.params["message_id"][:100]}" does not exist')
    return found


def _message_channel(call: Call, message: Message) -> Channel:
    return call.state.channels[message.cid]


@route("POST", "/channels/{type}/{id}/message", "SendMessage")
async def send_message(call: Call) -> dict[str, Any]:
    channel = call.channel()
    raw = obj(call.body.get("message"), "message")
    sender = call.acting_user_id(raw)
    assert sender is not None
    call.member_or_server(channel, sender, "CreateMessage")
    message = create_message(call, channel, raw, sender)
    return {"message": call.emulation.render.message(message)}


@route("GET", "/channels/{type}/{id}/messages", "GetManyMessages")
async def get_many_messages(call: Call) -> dict[str, Any]:
    channel = call.channel()
    call.member_or_server(channel, call.identity.user_id, "ReadChannel")
    ids = [i for i in call.query.get("ids", "").split(",") if i]
    found = [call.state.messages[i] for i in ids if i in call.state.messages]
    found = [m for m in found if m.cid == channel.cid]
    return {"messages": [call.emulation.render.message(m) for m in found]}


@route("GET", "/messages/{message_id}", "GetMessage")
async def get_message(call: Call) -> dict[str, Any]:
    message = _find(call)
    call.member_or_server(_message_channel(call, message), call.identity.user_id, "ReadChannel")
    return {"message": call.emulation.render.message(message)}


def _own(call: Call, message: Message, action: str) -> None:
    if not call.server and message.user_id != call.identity.user_id:
        raise not_allowed(f"users can only {action} their own messages")


def _announce(call: Call, message: Message, kind: str, **fields: Any) -> None:
    from .channels import channel_event

    channel = _message_channel(call, message)
    render = call.emulation.render
    call.emulation.publish(
        Event(
            channel_event(
                channel,
                kind,
                message=render.message(message),
                user=render.user_by_id(message.user_id),
                **fields,
            ),
            Audience(watchers_of=channel.cid),
        )
    )


@route("POST", "/messages/{message_id}", "UpdateMessage")
async def update_message(call: Call) -> dict[str, Any]:
    message = _find(call)
    raw = obj(call.body.get("message"), "message")
    _own(call, message, "update")
    if message.deleted_at is not None:
        raise invalid("a deleted message cannot be updated")
    if raw.get("id") is not None and raw.get("id") != message.id:
        raise invalid("message.id does not match the id in the URL")
    text, data = _content(raw, require_text=True)
    message.text, message.data, message.updated_at = text, data, now()
    _announce(call, message, "message.updated")
    return {"message": call.emulation.render.message(message)}


@route("PUT", "/messages/{message_id}", "UpdateMessagePartial")
async def update_message_partial(call: Call) -> dict[str, Any]:
    message = _find(call)
    _own(call, message, "update")
    changes = opt_obj(call.body, "set")
    unset = string_list(call.body.get("unset") or [], "unset")
    raw = {"text": message.text, **message.data}
    for key in ("pinned", "pin_expires"):
        changes.pop(key, None)
    for key in changes:
        if key in RESERVED and key != "text":
            raise invalid(f'"{key[:50]}" is a reserved field and cannot be set')
    raw.update(changes)
    for key in unset:
        raw.pop(key, None)
    text, data = _content(raw, require_text=False)
    message.text, message.data, message.updated_at = text, data, now()
    _announce(call, message, "message.updated")
    return {"message": call.emulation.render.message(message)}


@route("DELETE", "/messages/{message_id}", "DeleteMessage")
async def delete_message(call: Call) -> dict[str, Any]:
    message = _find(call)
    _own(call, message, "delete")
    hard = boolean(call.query, "hard")
    moment = now()
    message.type, message.deleted_at, message.updated_at = "deleted", moment, moment
    rendered = call.emulation.render.message(message)
    _announce(call, message, "message.deleted", hard_delete=hard)
    if hard:
        call.state.messages.pop(message.id, None)
        channel = _message_channel(call, message)
        if message in channel.messages:
            channel.messages.remove(message)
    return {"message": rendered}


# -- read state ------------------------------------------------------------------------------------


def _reader(call: Call, channel: Channel) -> tuple[str, Read]:
    uid = call.acting_user_id()
    assert uid is not None
    call.user(uid)
    read = channel.reads.get(uid)
    if read is None:
        raise not_allowed(f'user "{uid}" is not a member of channel "{channel.cid}"')
    return uid, read


def _unread_after(channel: Channel, uid: str, position: int) -> int:
    return sum(1 for m in channel.messages[position:] if m.user_id != uid and m.counts_as_unread)


def mark_read_now(call: Call, channel: Channel, uid: str, message_id: str | None) -> dict[str, Any]:
    from .channels import channel_event

    read = channel.reads[uid]
    moment = now()
    if message_id is not None:
        index = next((i for i, m in enumerate(channel.messages) if m.id == message_id), None)
        if index is None:
            raise invalid(f'message "{message_id[:100]}" does not exist in the channel')
        read.unread_messages = _unread_after(channel, uid, index + 1)
        read.last_read_message_id = message_id
    else:
        read.unread_messages = 0
        if channel.messages:
            read.last_read_message_id = channel.messages[-1].id
    read.last_read = moment
    render = call.emulation.render
    totals = call.state.unread_totals(uid)
    user = {
        **render.user_by_id(uid),
        **totals,
        "channel_unread_count": read.unread_messages,
        "channel_last_read_at": iso(moment),
    }
    event = channel_event(channel, "message.read", user=user)
    if read.last_read_message_id:
        event["last_read_message_id"] = read.last_read_message_id
    if _privacy_enabled(call, uid, "read_receipts"):
        call.emulation.publish(Event(event, Audience(watchers_of=channel.cid)))
    call.emulation.publish(
        Event(
            channel_event(
                channel,
                "notification.mark_read",
                channel=render.channel(channel, uid),
                user=render.user_by_id(uid),
                last_read_message_id=read.last_read_message_id,
            ),
            Audience(users=(uid,)),
            unread_totals=True,
        )
    )
    return event


def _privacy_enabled(call: Call, uid: str, setting: str) -> bool:
    user = call.state.users.get(uid)
    privacy = user.data.get("privacy_settings") if user else None
    if not isinstance(privacy, dict):
        return True
    entry = privacy.get(setting)
    return not (isinstance(entry, dict) and entry.get("enabled") is False)


@route("POST", "/channels/{type}/{id}/read", "MarkRead")
async def mark_read(call: Call) -> dict[str, Any]:
    channel = call.channel()
    uid, _ = _reader(call, channel)
    message_id = opt_string(call.body, "message_id")
    opt_string(call.body, "thread_id")
    return {"event": mark_read_now(call, channel, uid, message_id)}


@route("POST", "/channels/{type}/{id}/unread", "MarkUnread")
async def mark_unread(call: Call) -> dict[str, Any]:
    from .channels import channel_event

    channel = call.channel()
    uid, read = _reader(call, channel)
    message_id = opt_string(call.body, "message_id")
    if message_id is None:
        raise invalid("message_id is a required field")
    index = next((i for i, m in enumerate(channel.messages) if m.id == message_id), None)
    if index is None:
        raise invalid(f'message "{message_id[:100]}" does not exist in the channel')
    read.unread_messages = _unread_after(channel, uid, index)
    previous = channel.messages[index - 1] if index else None
    read.last_read = previous.created_at if previous else channel.created_at
    read.last_read_message_id = previous.id if previous else None
    call.emulation.publish(
        Event(
            channel_event(
                channel,
                "notification.mark_unread",
                user=call.emulation.render.user_by_id(uid),
                unread_messages=read.unread_messages,
                first_unread_message_id=message_id,
                last_read_at=iso(read.last_read),
                last_read_message_id=read.last_read_message_id,
            ),
            Audience(users=(uid,)),
            unread_totals=True,
        )
    )
    return {}


@route("POST", "/channels/read", "MarkAllRead")
async def mark_all_read(call: Call) -> dict[str, Any]:
    uid = call.acting_user_id()
    assert uid is not None
    call.user(uid)
    moment = now()
    for channel in call.state.channels_of(uid):
        read = channel.reads[uid]
        read.unread_messages, read.last_read = 0, moment
        if channel.messages:
            read.last_read_message_id = channel.messages[-1].id
    call.emulation.publish(
        Event(
            {
                "type": "notification.mark_read",
                "user": call.emulation.render.user_by_id(uid),
                "created_at": iso(moment),
            },
            Audience(users=(uid,)),
            unread_totals=True,
        )
    )
    return {}


@route("POST", "/channels/delivered", "MarkDelivered")
async def mark_delivered(call: Call) -> dict[str, Any]:
    array(
        call.body.get("latest_delivered_messages") or [], "latest_delivered_messages", maximum=100
    )
    return {}


TYPING = {"typing.start", "typing.stop"}


@route("POST", "/channels/{type}/{id}/event", "SendEvent")
async def send_event(call: Call) -> dict[str, Any]:
    from .channels import channel_event

    channel = call.channel()
    raw = obj(call.body.get("event"), "event")
    kind = string(raw.get("type"), "event.type")
    if not kind or (("." in kind) and kind not in TYPING):
        raise StreamError(EVENT_NOT_SUPPORTED, f'event type "{kind[:50]}" is not supported')
    uid = call.acting_user_id(raw)
    assert uid is not None
    call.user(uid)
    call.member_or_server(channel, uid, "SendCustomEvent" if kind not in TYPING else "SendTyping")
    extra = {
        k: v for k, v in raw.items() if k not in ("type", "user", "user_id", "cid", "created_at")
    }
    check_custom_size(extra, "event")
    event = channel_event(channel, kind, **extra, user=call.emulation.render.user_by_id(uid))
    relay = kind not in TYPING or _privacy_enabled(call, uid, "typing_indicators")
    if relay:
        exclude = frozenset({call.connection_id}) if call.connection_id else frozenset()
        call.emulation.publish(
            Event(event, Audience(watchers_of=channel.cid, exclude_connections=exclude))
        )
    return {"event": event}
