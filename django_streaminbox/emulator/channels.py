"""Channels: get-or-create (by id or distinct by members), query, update, members, delete, watch.

Stream's rules: ids of at most 64 characters from ``[A-Za-z0-9_!-]``; server-side creation needs
``created_by``/``created_by_id``; every member (and the creator) must already exist; at most 100
members
a request; distinct channels (created from members alone, id ``!members-<hash>``) cannot gain
members;
``data`` in ``/query`` is only used when the channel is created.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from datetime import datetime
from typing import Any

from . import filters
from .context import Call
from .errors import invalid, not_allowed, not_found
from .events import Audience, Event
from .messages import page_messages, prepare_message, store_message
from .render import BUILTIN_CHANNEL_TYPES
from .routes import route
from .state import Channel, Member, iso, now
from .validation import (
    array,
    boolean,
    channel_id,
    channel_type,
    check_custom_size,
    integer,
    obj,
    opt_obj,
    string,
    user_id,
)

MAX_MEMBERS = 100
#: Fields of a channel Stream manages itself; never stored as custom data.
RESERVED = {
    "id",
    "type",
    "cid",
    "members",
    "config",
    "created_by",
    "created_by_id",
    "created_by_pk",
    "created_at",
    "updated_at",
    "deleted_at",
    "last_message_at",
    "member_count",
    "frozen",
    "disabled",
    "own_capabilities",
    "team",
    "hidden",
}


def distinct_id(member_ids: list[str]) -> str:
    """A deterministic id from the member set, in Stream's ``!members-`` + 43 base64url format."""
    digest = hashlib.sha256(",".join(sorted(set(member_ids))).encode()).digest()
    return "!members-" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def parse_members(value: Any, name: str = "members") -> list[tuple[str, str, dict[str, Any]]]:
    """``["a", {"user_id": "b", "channel_role": "channel_moderator"}]`` -> (id, role, custom
    data)."""
    result = []
    seen = set()
    for index, item in enumerate(array(value, name, maximum=MAX_MEMBERS)):
        if isinstance(item, str):
            uid, role, data = user_id(item, f"{name}[{index}]"), "channel_member", {}
        else:
            item = obj(item, f"{name}[{index}]")
            raw_id = item.get("user_id", opt_obj(item, "user").get("id"))
            uid = user_id(raw_id, f"{name}[{index}].user_id")
            role = string(item.get("channel_role", "channel_member"), "channel_role")
            if role not in ("channel_member", "channel_moderator"):
                raise invalid(f'channel_role "{role[:50]}" does not exist')
            data = {
                k: v
                for k, v in item.items()
                if k not in ("user_id", "user", "channel_role", "role", "created_at", "updated_at")
            }
            check_custom_size(data, "member")
        if uid not in seen:
            seen.add(uid)
            result.append((uid, role, data))
    return result


def require_existing(call: Call, ids: list[str]) -> None:
    missing = [
        uid
        for uid in ids
        if uid not in call.state.users or call.state.users[uid].deleted_at is not None
    ]
    if missing:
        raise invalid(
            "The following users are involved in channel create operation, but don't exist: "
            f"[{', '.join(missing)}]. Please create the user objects before setting up the channel."
        )


def _type(call: Call) -> str:
    kind = channel_type(call.params["type"])
    if kind not in BUILTIN_CHANNEL_TYPES:
        raise invalid(f'channel type "{kind}" does not exist')
    return kind


def channel_event(of: Channel, kind: str, **fields: Any) -> dict[str, Any]:
    """Every channel-scoped event carries ``cid``, ``channel_id``, ``channel_type``,
    ``created_at``."""
    return {
        "type": kind,
        "cid": of.cid,
        "channel_id": of.id,
        "channel_type": of.type,
        "created_at": iso(now()),
        **fields,
    }


def notify_added(call: Call, channel: Channel, uids: list[str]) -> None:
    """``notification.added_to_channel`` to each new member (built only if it is connected)."""
    render = call.emulation.render

    def payload(uid: str) -> dict[str, Any]:
        return channel_event(
            channel,
            "notification.added_to_channel",
            channel=render.channel(channel, uid, members=True),
            member=render.member(channel.members[uid], channel),
            user=render.user_by_id(uid),
        )

    for uid in uids:
        call.emulation.publish(
            Event(
                functools.partial(payload, uid),
                Audience(users=(uid,), not_watching=channel.cid),
                unread_totals=True,
                type="notification.added_to_channel",
            )
        )


def create_channel(
    call: Call, kind: str, cid_id: str | None, data: dict[str, Any], creator: str
) -> Channel:
    members = parse_members(data.get("members", []))
    member_ids = [uid for uid, _, _ in members]
    distinct = cid_id is None
    if distinct:
        if not member_ids:
            raise invalid("when id is not provided, members is a required field")
        cid_id = distinct_id(member_ids)
    custom = {k: v for k, v in data.items() if k not in RESERVED}
    check_custom_size(custom, "channel")
    require_existing(call, [creator, *member_ids])
    moment = now()
    channel = Channel(
        type=kind,
        id=str(cid_id),
        created_by_id=creator,
        data=custom,
        distinct=distinct,
        created_at=moment,
        updated_at=moment,
    )
    call.state.channels[channel.cid] = channel
    for uid, role, extra in members:
        call.state.add_member(
            channel, Member(uid, role, extra, created_at=moment, updated_at=moment), moment
        )
    call.emulation.publish(
        Event(
            channel_event(
                channel,
                "channel.created",
                channel=call.emulation.render.channel(channel, None, server=True),
            ),
            Audience(),
        )
    )
    notify_added(call, channel, member_ids)
    return channel


def _creator(call: Call, data: dict[str, Any]) -> str:
    if not call.server:
        assert call.identity.user_id is not None
        return call.identity.user_id
    created_by = data.get("created_by")
    if created_by is not None:
        return user_id(obj(created_by, "data.created_by").get("id"), "data.created_by.id")
    if data.get("created_by_id") is not None:
        return user_id(data["created_by_id"], "data.created_by_id")
    raise invalid(
        "either data.created_by or data.created_by_id must be provided when using server side auth."
    )


def watch(call: Call, channel: Channel, viewer: str | None, presence: bool) -> None:
    """Register the calling connection as a watcher (``watch: true`` with a ``connection_id``)."""
    hub = call.emulation.hub
    if call.connection_id is None or viewer is None:
        return
    if hub.watch(call.connection_id, call.identity, channel.cid):
        call.emulation.publish(
            Event(
                channel_event(
                    channel,
                    "user.watching.start",
                    user=call.emulation.render.user_by_id(viewer),
                    watcher_count=hub.watcher_count(channel.cid),
                ),
                Audience(
                    watchers_of=channel.cid, exclude_connections=frozenset({call.connection_id})
                ),
            )
        )
    if presence:
        hub.subscribe_presence(call.connection_id, call.identity, list(channel.members))


@route("POST", "/channels/{type}/query", "GetOrCreateChannel")
@route("POST", "/channels/{type}/{id}/query", "GetOrCreateChannel")
async def get_or_create(call: Call) -> dict[str, Any]:
    kind = _type(call)
    given = call.params.get("id")
    cid_id = channel_id(given) if given is not None else None
    data = opt_obj(call.body, "data")
    options = _state_options(call.body)
    if cid_id is None:
        members = parse_members(data.get("members", []))
        if not members:
            raise invalid("when id is not provided, data.members is a required field")
        cid_id = distinct_id([uid for uid, _, _ in members])
    channel = call.state.channels.get(f"{kind}:{cid_id}")
    viewer = call.acting_user_id(required=False)
    if channel is None:
        creator = _creator(call, data)
        channel = create_channel(call, kind, None if given is None else cid_id, data, creator)
        viewer = viewer or creator
    elif not call.server and viewer not in channel.members and viewer != channel.created_by_id:
        call.member_or_server(channel, viewer, "ReadChannel")
    if options["watch"]:
        watch(call, channel, viewer, options["presence"])
    return state_response(call, channel, viewer, options)


def _state_options(body: dict[str, Any]) -> dict[str, Any]:
    members = opt_obj(body, "members")
    return {
        "state": boolean(body, "state", True),
        "watch": boolean(body, "watch"),
        "presence": boolean(body, "presence"),
        "messages": opt_obj(body, "messages"),
        "member_limit": integer(members, "limit", 100, maximum=300),
        "member_offset": integer(members, "offset", 0, maximum=10_000),
    }


def state_response(
    call: Call, channel: Channel, viewer: str | None, options: dict[str, Any]
) -> dict[str, Any]:
    messages = page_messages(channel, options["messages"]) if options["state"] else []
    return call.emulation.render.channel_state(
        channel,
        viewer,
        server=call.server,
        messages=messages,
        member_limit=options["member_limit"],
        member_offset=options["member_offset"],
    )


def channel_field(channel: Channel, field: str, viewer: str | None) -> Any:
    if field in ("type", "id", "cid", "created_by_id"):
        return getattr(channel, field)
    if field == "members":
        return list(channel.members)
    if field == "member_count":
        return len(channel.members)
    if field == "joined":
        return viewer in channel.members
    if field in ("frozen", "disabled", "hidden"):
        return False
    if field in ("created_at", "updated_at", "last_message_at"):
        value: datetime | None = getattr(channel, field)
        return filters.MISSING if value is None else value
    if field == "last_updated":
        return max(channel.updated_at, channel.last_message_at or channel.updated_at)
    return channel.data.get(field, filters.MISSING)


def _channel_getter(channel: Channel, viewer: str | None) -> filters.Getter:
    return lambda field: channel_field(channel, field, viewer)


@route("POST", "/channels", "QueryChannels")
async def query_channels(call: Call) -> dict[str, Any]:
    body = call.body
    if body.get("filter_conditions") is None:
        raise invalid("filter_conditions is a required field")
    conditions = obj(body["filter_conditions"], "filter_conditions")
    order = filters.parse_sort(body.get("sort") or [{"field": "last_updated", "direction": -1}])
    limit = integer(body, "limit", 10, maximum=30)
    offset = integer(body, "offset", 0, maximum=1000)
    message_limit = integer(body, "message_limit", 25, maximum=300)
    member_limit = integer(body, "member_limit", 100, maximum=100)
    options: dict[str, Any] = {
        "state": boolean(body, "state", True),
        "watch": boolean(body, "watch"),
        "presence": boolean(body, "presence"),
        "messages": {"limit": message_limit},
        "member_limit": member_limit,
        "member_offset": 0,
    }
    filters.validate(conditions)
    viewer = call.acting_user_id(required=False)
    if call.server:
        candidates = list(call.state.channels.values())
    else:
        assert viewer is not None
        candidates = call.state.channels_of(viewer)
    found = [
        channel
        for channel in candidates
        if filters.matches(conditions, _channel_getter(channel, viewer))
    ]
    found.sort(key=lambda c: c.cid)
    found.sort(key=lambda c: c.created_at, reverse=True)
    filters.apply_sort(found, order, lambda c, f: channel_field(c, f, viewer))
    page = found[offset : offset + limit]
    states = []
    for channel in page:
        if options["watch"]:
            watch(call, channel, viewer, options["presence"])
        states.append(state_response(call, channel, viewer, options))
    return {"channels": states}


def members_response(call: Call, channel: Channel, viewer: str | None) -> dict[str, Any]:
    render = call.emulation.render
    return {
        "channel": render.channel(channel, viewer, server=call.server),
        "members": [render.member(m, channel) for m in channel.members.values()],
    }


def _updated(call: Call, channel: Channel, actor: str | None) -> None:
    render = call.emulation.render
    fields: dict[str, Any] = {"channel": render.channel(channel, None, members=True)}
    if actor:
        fields["user"] = render.user_by_id(actor)
    call.emulation.publish(
        Event(
            channel_event(channel, "channel.updated", **fields), Audience(watchers_of=channel.cid)
        )
    )


@route("POST", "/channels/{type}/{id}", "UpdateChannel")
async def update_channel(call: Call) -> dict[str, Any]:
    _type(call)
    channel_id(call.params["id"])
    channel = call.channel()
    body = call.body
    named: dict[str, Any] = body["message"] if isinstance(body.get("message"), dict) else {}
    actor = call.acting_user_id(named, required=False)
    call.member_or_server(channel, actor, "UpdateChannel")
    add = parse_members(body["add_members"], "add_members") if body.get("add_members") else []
    remove = [
        user_id(u, "remove_members[]")
        for u in array(body.get("remove_members") or [], "remove_members", maximum=MAX_MEMBERS)
    ]
    moderators = [
        user_id(u, "add_moderators[]")
        for u in array(body.get("add_moderators") or [], "add_moderators", maximum=MAX_MEMBERS)
    ]
    demote = [
        user_id(u, "demote_moderators[]")
        for u in array(body.get("demote_moderators") or [], "demote_moderators", maximum=100)
    ]
    data = None
    if body.get("data") is not None:
        data = {k: v for k, v in obj(body["data"], "data").items() if k not in RESERVED}
        check_custom_size(data, "channel")
    message = body.get("message")
    prepared = None
    if message is not None and obj(message, "message").get("text"):
        prepared = prepare_message(call, channel, dict(message), actor or channel.created_by_id)
    if add and channel.distinct:
        raise invalid(
            "cannot add members to the distinct channel, please create a new distinct "
            "channel with the desired members"
        )
    new = [uid for uid, _, _ in add if uid not in channel.members]
    require_existing(call, new)
    for uid in moderators + demote:
        if uid not in channel.members:
            raise invalid(f'user "{uid}" is not a member of the channel')
    if not call.server and (moderators or demote):
        raise not_allowed("only server-side calls can change channel roles")
    moment = now()
    render = call.emulation.render
    for uid, role, extra in add:
        if uid in channel.members:
            continue
        member = Member(uid, role, extra, created_at=moment, updated_at=moment)
        call.state.add_member(channel, member, moment)
        call.emulation.publish(
            Event(
                channel_event(
                    channel,
                    "member.added",
                    member=render.member(member, channel),
                    user=render.user_by_id(uid),
                ),
                Audience(watchers_of=channel.cid),
            )
        )
    notify_added(call, channel, new)
    for uid in moderators + demote:
        channel.members[uid].channel_role = (
            "channel_moderator" if uid in moderators else "channel_member"
        )
        channel.members[uid].updated_at = moment
    for uid in remove:
        if uid in channel.members:
            removed = render.member(channel.members[uid], channel)
            call.state.remove_member(channel, uid)
            call.emulation.hub.stop_watching_user(uid, channel.cid)
            call.emulation.publish(
                Event(
                    channel_event(channel, "member.removed", member=removed, user=removed["user"]),
                    Audience(watchers_of=channel.cid),
                )
            )
            call.emulation.publish(
                Event(
                    channel_event(
                        channel,
                        "notification.removed_from_channel",
                        channel=render.channel(channel, uid),
                        member=removed,
                        user=removed["user"],
                    ),
                    Audience(users=(uid,)),
                )
            )
    if data is not None:
        channel.data = data
    channel.updated_at = moment
    if data is not None or moderators or demote:
        _updated(call, channel, actor)
    response = members_response(call, channel, actor)
    if prepared is not None:
        store_message(call, channel, prepared)
        response["message"] = render.message(prepared)
    return response


@route("PATCH", "/channels/{type}/{id}", "UpdateChannelPartial")
async def update_channel_partial(call: Call) -> dict[str, Any]:
    channel = call.channel()
    actor = call.acting_user_id(required=False)
    call.member_or_server(channel, actor, "UpdateChannel")
    changes = opt_obj(call.body, "set")
    unset = array(call.body.get("unset") or [], "unset")
    data = dict(channel.data)
    for key, value in changes.items():
        if key in RESERVED:
            raise invalid(f'"{key[:50]}" is a reserved field and cannot be set')
        data[key] = value
    for key in unset:
        data.pop(string(key, "unset[]"), None)
    check_custom_size(data, "channel")
    channel.data = data
    channel.updated_at = now()
    _updated(call, channel, actor)
    return members_response(call, channel, actor)


def delete_channel(call: Call, channel: Channel) -> None:
    render = call.emulation.render
    rendered = render.channel(channel, None, server=True)
    members = list(channel.members)
    call.emulation.publish(
        Event(
            channel_event(channel, "channel.deleted", channel=rendered),
            Audience(watchers_of=channel.cid),
        )
    )
    call.emulation.publish(
        Event(
            channel_event(channel, "notification.channel_deleted", channel=rendered),
            Audience(users=tuple(members), not_watching=channel.cid),
        )
    )
    for uid in members:
        call.state.remove_member(channel, uid)
    for message in channel.messages:
        call.state.messages.pop(message.id, None)
    for message in [m for m in call.state.messages.values() if m.cid == channel.cid]:
        call.state.messages.pop(message.id, None)
    call.state.channels.pop(channel.cid, None)
    call.emulation.hub.forget_channel(channel.cid)


@route("DELETE", "/channels/{type}/{id}", "DeleteChannel")
async def delete_channel_endpoint(call: Call) -> dict[str, Any]:
    channel = call.channel()
    if not call.server and call.identity.user_id != channel.created_by_id:
        raise not_allowed("only the channel owner can delete the channel")
    rendered = call.emulation.render.channel(channel, None, server=True)
    boolean(call.query, "hard_delete")
    delete_channel(call, channel)
    rendered["deleted_at"] = iso(now())
    return {"channel": rendered}


@route("POST", "/channels/{type}/{id}/truncate", "TruncateChannel")
async def truncate_channel(call: Call) -> dict[str, Any]:
    channel = call.channel()
    actor = call.acting_user_id(required=False)
    call.member_or_server(channel, actor, "TruncateChannel")
    for message in [m for m in call.state.messages.values() if m.cid == channel.cid]:
        call.state.messages.pop(message.id, None)
    channel.messages.clear()
    channel.last_message_at = None
    for read in channel.reads.values():
        read.unread_messages = 0
    channel.updated_at = now()
    call.emulation.publish(
        Event(
            channel_event(
                channel, "channel.truncated", channel=call.emulation.render.channel(channel, None)
            ),
            Audience(watchers_of=channel.cid),
        )
    )
    return {"channel": call.emulation.render.channel(channel, actor, server=call.server)}


@route("POST", "/channels/{type}/{id}/stop-watching", "StopWatchingChannel")
async def stop_watching(call: Call) -> dict[str, Any]:
    channel = call.channel()
    hub = call.emulation.hub
    if call.connection_id and hub.unwatch(call.connection_id, call.identity, channel.cid):
        viewer = call.identity.user_id
        call.emulation.publish(
            Event(
                channel_event(
                    channel,
                    "user.watching.stop",
                    user=call.emulation.render.user_by_id(viewer or ""),
                    watcher_count=hub.watcher_count(channel.cid),
                ),
                Audience(watchers_of=channel.cid),
            )
        )
    return {}


def member_field(member: Member, field: str) -> Any:
    if field in ("id", "user_id"):
        return member.user_id
    if field == "channel_role":
        return member.channel_role
    if field in ("created_at", "updated_at"):
        value: datetime = getattr(member, field)
        return value
    return member.data.get(field, filters.MISSING)


@route("GET", "/members", "QueryMembers")
async def query_members(call: Call) -> dict[str, Any]:
    """``channel.query_members(filter, sort)``: members of one channel, filtered like users."""
    from .users import payload_of

    payload = payload_of(call)
    kind = channel_type(payload.get("type"))
    raw_id = payload.get("id")
    if raw_id is None:
        members = parse_members(payload.get("members") or [])
        if not members:
            raise invalid("either id or members is required")
        raw_id = distinct_id([uid for uid, _, _ in members])
    cid = f"{kind}:{channel_id(raw_id)}"
    channel = call.state.channels.get(cid)
    if channel is None:
        raise not_found(f'channel "{cid}" does not exist')
    call.member_or_server(channel, call.identity.user_id, "ReadChannel")
    conditions = obj(payload.get("filter_conditions", {}), "filter_conditions")
    order = filters.parse_sort(payload.get("sort") or [{"field": "created_at", "direction": 1}])
    limit = integer(payload, "limit", 100, maximum=300)
    offset = integer(payload, "offset", 0, maximum=1000)
    filters.validate(conditions)
    users = call.state.users

    def get(member: Member, field: str) -> Any:
        if field == "name":
            user = users.get(member.user_id)
            return user.name if user else filters.MISSING
        return member_field(member, field)

    found = [
        m
        for m in channel.members.values()
        if filters.matches(conditions, functools.partial(get, m))
    ]
    filters.apply_sort(found, order, get)
    render = call.emulation.render
    return {"members": [render.member(m, channel) for m in found[offset : offset + limit]]}
