"""Users: upsert, partial update, query, delete, deactivate, reactivate, restore; unread counts.

Stream's rules: ids of at most 255 characters from ``[A-Za-z0-9@_-]``; at most 100 users a call;
one bad
user fails the whole batch (validated before anything is written); custom data at most 5 KB; fields
the
server manages (``online``, ``created_at``...) or computes (``unread_count``...) are never stored.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from . import filters
from .context import Call
from .errors import invalid, not_allowed, not_found
from .events import Audience, Event
from .routes import route
from .state import User, iso, now, parse_iso
from .validation import (
    array,
    boolean,
    check_custom_size,
    integer,
    obj,
    opt_obj,
    string,
    string_list,
    user_id,
)

MAX_BATCH = 100
ROLES = {"user", "admin", "guest", "anonymous", "moderator"}
#: Set by Stream, never by the caller: silently dropped from upserts, refused in partial updates.
SERVER_MANAGED = {
    "online",
    "last_active",
    "created_at",
    "updated_at",
    "deactivated_at",
    "deleted_at",
    "banned",
    "shadow_banned",
    "revoke_tokens_issued_before",
    "last_engaged_at",
}
COMPUTED = {
    "total_unread_count",
    "unread_count",
    "unread_channels",
    "unread_threads",
    "channel_mutes",
    "mutes",
    "devices",
}
TYPED_FIELDS: dict[str, type] = {
    "name": str,
    "image": str,
    "language": str,
    "invisible": bool,
    "teams": list,
    "privacy_settings": dict,
    "push_preferences": dict,
    "blocked_user_ids": list,
    "teams_role": dict,
}


def clean_user_fields(raw: dict[str, Any], *, server: bool) -> tuple[str | None, dict[str, Any]]:
    """Split a user payload into (role, writable data), validating types; raises code 4."""
    data = {}
    role = None
    for key, value in raw.items():
        if key == "id" or key in SERVER_MANAGED or key in COMPUTED:
            continue
        if key == "role":
            role = _role(value, server)
            continue
        _check_type(key, value)
        data[key] = value
    check_custom_size(data, "user")
    return role, data


def _role(value: Any, server: bool) -> str:
    role = string(value, "role")
    if role not in ROLES:
        raise invalid(f'role "{role[:50]}" does not exist')
    if not server:
        raise not_allowed("changing the role of a user requires server-side authentication")
    return role


def _check_type(key: str, value: Any) -> None:
    expected = TYPED_FIELDS.get(key)
    if expected is not None and value is not None and not isinstance(value, expected):
        raise invalid(f"user.{key} should be of type {expected.__name__}")
    if key == "teams" and value is not None:
        string_list(value, "teams")


def upsert(call: Call, uid: str, role: str | None, data: dict[str, Any]) -> User:
    """Create or replace one user (Stream's upsert replaces custom data wholesale)."""
    moment = now()
    existing = call.state.users.get(uid)
    if existing is None:
        user = User(id=uid, role=role or "user", data=data, created_at=moment, updated_at=moment)
        call.state.users[uid] = user
    else:
        user = existing
        user.data = data
        if role is not None:
            user.role = role
        user.deleted_at = None
        user.updated_at = moment
    return user


def announce_update(call: Call, user: User) -> None:
    call.emulation.publish(
        Event(
            {
                "type": "user.updated",
                "user": call.emulation.render.user(user),
                "created_at": iso(now()),
            },
            Audience(presence_of=user.id),
        )
    )


def _users_response(call: Call, users: list[User]) -> dict[str, Any]:
    rendered = {user.id: call.emulation.render.user(user) for user in users}
    return {"users": rendered, "membership_deletion_task_id": ""}


def _batch_ids(call: Call, *, required: bool) -> list[str]:
    """The ``user_ids`` of a batch endpoint: valid ids, at most 100 (Stream's batch limit)."""
    ids = [user_id(u) for u in string_list(call.body.get("user_ids"), "user_ids", maximum=100)]
    if required and not ids:
        raise invalid("user_ids is a required field")
    return ids


@route("POST", "/users", "UpdateUsers")
async def upsert_users(call: Call) -> dict[str, Any]:
    raw_users = call.body.get("users")
    items: list[tuple[str | None, Any]]
    if isinstance(raw_users, list):
        items = [(None, obj(item, "users[]")) for item in raw_users]
    else:
        items = list(obj(raw_users, "users").items())
    if not items:
        raise invalid("users is a required field")
    if len(items) > MAX_BATCH:
        raise invalid(f"users cannot contain more than {MAX_BATCH} users")
    planned = []
    for key, raw in items:
        raw = obj(raw, f"users[{key}]")
        uid = user_id(raw.get("id", key), "user.id")
        if key is not None and key != uid:
            raise invalid(f'user id "{uid}" does not match its key "{key}"')
        if not call.server and uid != call.identity.user_id:
            raise not_allowed("users can only update themselves")
        planned.append((uid, *clean_user_fields(raw, server=call.server)))
    users = [upsert(call, uid, role, data) for uid, role, data in planned]
    for user in users:
        announce_update(call, user)
    return _users_response(call, users)


@route("PATCH", "/users", "UpdateUsersPartial")
async def update_users_partial(call: Call) -> dict[str, Any]:
    updates = array(call.body.get("users"), "users", maximum=MAX_BATCH)
    if not updates:
        raise invalid("users is a required field")
    planned = []
    for index, raw in enumerate(updates):
        raw = obj(raw, f"users[{index}]")
        uid = user_id(raw.get("id"), f"users[{index}].id")
        if not call.server and uid != call.identity.user_id:
            raise not_allowed("users can only update themselves")
        user = call.user(uid)
        data = copy.deepcopy(user.data)
        role = user.role
        revoke = user.revoke_tokens_issued_before
        for path, value in opt_obj(raw, "set").items():
            top = path.split(".", 1)[0]
            if path == "revoke_tokens_issued_before":
                revoke = _revocation(value, call.server)
                continue
            if top == "id" or top in SERVER_MANAGED or top in COMPUTED:
                raise invalid(f'"{path[:50]}" is a reserved field and cannot be set')
            if top == "role":
                role = _role(value, call.server)
                continue
            if "." not in path:
                _check_type(path, value)
            _set_path(data, path, value)
        for path in string_list(raw.get("unset", []), f"users[{index}].unset"):
            if path.split(".", 1)[0] in ("id", "role"):
                raise invalid(f'"{path[:50]}" cannot be unset')
            _unset_path(data, path)
        check_custom_size(data, "user")
        planned.append((user, role, data, revoke))
    moment = now()
    for user, role, data, revoke in planned:
        user.data, user.role, user.updated_at = data, role, moment
        user.revoke_tokens_issued_before = revoke
        announce_update(call, user)
    return _users_response(call, [user for user, _, _, _ in planned])


def _revocation(value: Any, server: bool) -> datetime | None:
    """``revoke_tokens_issued_before``: an RFC 3339 date (or null to lift it), server-side only."""
    if not server:
        raise not_allowed("revoking tokens requires server-side authentication")
    if value is None:
        return None
    try:
        return parse_iso(string(value, "revoke_tokens_issued_before"))
    except ValueError:
        raise invalid("revoke_tokens_issued_before should be an RFC 3339 date") from None


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target = data
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[last] = value


def _unset_path(data: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target.get(part) if isinstance(target, dict) else None
    if isinstance(target, dict):
        target.pop(last, None)


def user_field(user: User, field: str, online: bool) -> Any:
    if field == "id":
        return user.id
    if field == "role":
        return user.role
    if field == "banned":
        return user.banned
    if field == "online":
        return online
    if field in ("created_at", "updated_at", "last_active", "deactivated_at"):
        value: datetime | None = getattr(user, field)
        return filters.MISSING if value is None else value
    return user.data.get(field, filters.MISSING)


def _user_getter(user: User, online: bool) -> filters.Getter:
    return lambda field: user_field(user, field, online)


@route("GET", "/users", "QueryUsers")
async def query_users(call: Call) -> dict[str, Any]:
    payload = payload_of(call)
    if payload.get("filter_conditions") is None:
        raise invalid("filter_conditions is a required field")
    conditions = obj(payload["filter_conditions"], "filter_conditions")
    order = filters.parse_sort(payload.get("sort") or [{"field": "created_at", "direction": -1}])
    limit = integer(payload, "limit", 30, maximum=100)
    offset = integer(payload, "offset", 0, maximum=1000)
    include_deactivated = boolean(payload, "include_deactivated_users")
    presence = boolean(payload, "presence")
    filters.validate(conditions)
    hub = call.emulation.hub
    found = []
    for user in call.state.users.values():
        if user.deleted_at is not None:
            continue
        if user.deactivated_at is not None and not include_deactivated:
            continue
        online = hub.is_online(user.id) and user.data.get("invisible") is not True
        if filters.matches(conditions, _user_getter(user, online)):
            found.append(user)
    filters.apply_sort(found, order, lambda u, f: user_field(u, f, hub.is_online(u.id)))
    page = found[offset : offset + limit]
    if presence and call.connection_id:
        hub.subscribe_presence(call.connection_id, call.identity, [u.id for u in page])
    return {"users": [call.emulation.render.user(user) for user in page]}


def payload_of(call: Call) -> dict[str, Any]:
    """The JSON ``payload`` query parameter of Stream's GET queries, as an object."""
    text = call.query.get("payload")
    if text is None:
        return {}
    try:
        payload = json.loads(text)
    except ValueError:
        raise invalid("payload is not valid JSON") from None
    return obj(payload, "payload")


# -- delete, deactivate, reactivate, restore
# ---------------------------------------------------------


def delete_user_now(
    call: Call, user: User, *, hard: bool, mark_messages: bool, conversations: bool
) -> None:
    from .channels import delete_channel

    moment = now()
    if conversations:
        for channel in call.state.channels_of(user.id):
            if len(channel.members) == 2:
                delete_channel(call, channel)
    if mark_messages or hard:
        for message in call.state.messages.values():
            if message.user_id == user.id and message.deleted_at is None:
                message.type, message.deleted_at, message.updated_at = "deleted", moment, moment
    if hard:
        for channel in call.state.channels_of(user.id):
            call.state.remove_member(channel, user.id)
        call.state.users.pop(user.id, None)
        call.state.memberships.pop(user.id, None)
    else:
        user.deleted_at = moment
        user.updated_at = moment
    call.emulation.hub.disconnect_user(user.id)
    call.emulation.publish(
        Event(
            {
                "type": "user.deleted",
                "user": call.emulation.render.user(user),
                "hard_delete": hard,
                "created_at": iso(moment),
            },
            Audience(presence_of=user.id),
        )
    )


@route("DELETE", "/users/{user_id}", "DeleteUser")
async def delete_user(call: Call) -> dict[str, Any]:
    call.require_server()
    user = call.user(user_id(call.params["user_id"]))
    delete_user_now(
        call,
        user,
        hard=boolean(call.query, "hard_delete"),
        mark_messages=boolean(call.query, "mark_messages_deleted"),
        conversations=boolean(call.query, "delete_conversation_channels"),
    )
    return {"user": call.emulation.render.user(user)}


DELETE_MODES = {"soft", "pruning", "hard"}


@route("POST", "/users/delete", "DeleteUsers")
async def delete_users(call: Call) -> dict[str, Any]:
    call.require_server()
    ids = _batch_ids(call, required=True)
    modes = {}
    for key in ("user", "messages", "conversations"):
        mode = call.body.get(key)
        if mode is not None and mode not in DELETE_MODES:
            raise invalid(f"{key} should be one of soft, pruning, hard")
        modes[key] = mode
    if modes["user"] is None:
        raise invalid("user is a required field")
    result = {}
    for uid in ids:
        user = call.state.users.get(uid)
        if user is None or user.deleted_at is not None:
            result[uid] = {"status": "error", "error": f'user "{uid}" does not exist'}
            continue
        delete_user_now(
            call,
            user,
            hard=modes["user"] in ("hard", "pruning"),
            mark_messages=modes["messages"] is not None,
            conversations=modes["conversations"] is not None,
        )
        result[uid] = {"status": "ok"}
    return {"task_id": call.state.task(result)}


@route("POST", "/users/restore", "RestoreUsers")
async def restore_users(call: Call) -> dict[str, Any]:
    call.require_server()
    ids = _batch_ids(call, required=False)
    users = [call.state.users.get(uid) for uid in ids]
    missing = [
        uid for uid, user in zip(ids, users, strict=True) if user is None or user.deleted_at is None
    ]
    if missing:
        raise invalid(f"users {missing} are not soft-deleted")
    for user in users:
        assert user is not None
        user.deleted_at = None
        user.updated_at = now()
    return {}


def _deactivate(call: Call, user: User, mark_messages: bool) -> None:
    moment = now()
    user.deactivated_at = moment
    user.updated_at = moment
    if mark_messages:
        for message in call.state.messages.values():
            if message.user_id == user.id and message.deleted_at is None:
                message.type, message.deleted_at = "deleted", moment
    call.emulation.hub.disconnect_user(user.id)
    call.emulation.publish(
        Event(
            {
                "type": "user.deactivated",
                "user": call.emulation.render.user(user),
                "created_at": iso(moment),
            },
            Audience(presence_of=user.id),
        )
    )


def _created_by(call: Call) -> None:
    created_by = call.body.get("created_by_id")
    if created_by is not None:
        call.user(user_id(created_by, "created_by_id"))


@route("POST", "/users/{user_id}/deactivate", "DeactivateUser")
async def deactivate_user(call: Call) -> dict[str, Any]:
    call.require_server()
    user = call.user(user_id(call.params["user_id"]))
    mark = boolean(call.body, "mark_messages_deleted")
    _created_by(call)
    _deactivate(call, user, mark)
    return {"user": call.emulation.render.user(user)}


@route("POST", "/users/deactivate", "DeactivateUsers")
async def deactivate_users(call: Call) -> dict[str, Any]:
    call.require_server()
    ids = _batch_ids(call, required=True)
    users = [call.user(uid) for uid in ids]
    mark = boolean(call.body, "mark_messages_deleted")
    _created_by(call)
    for user in users:
        _deactivate(call, user, mark)
    rendered = [call.emulation.render.user(user) for user in users]
    return {"task_id": call.state.task({"users": rendered})}


def _reactivate(call: Call, user: User, name: Any) -> None:
    if user.deactivated_at is None:
        raise invalid(f'user "{user.id}" is not deactivated')
    user.deactivated_at = None
    user.updated_at = now()
    if name is not None:
        user.data["name"] = name
    if boolean(call.body, "restore_messages"):
        for message in call.state.messages.values():
            if message.user_id == user.id and message.type == "deleted":
                message.type, message.deleted_at = "regular", None
    call.emulation.publish(
        Event(
            {
                "type": "user.reactivated",
                "user": call.emulation.render.user(user),
                "created_at": iso(now()),
            },
            Audience(presence_of=user.id),
        )
    )


@route("POST", "/users/{user_id}/reactivate", "ReactivateUser")
async def reactivate_user(call: Call) -> dict[str, Any]:
    call.require_server()
    user = call.user(user_id(call.params["user_id"]))
    name = call.body.get("name")
    if name is not None:
        string(name, "name")
    _created_by(call)
    _reactivate(call, user, name)
    return {"user": call.emulation.render.user(user)}


@route("POST", "/users/reactivate", "ReactivateUsers")
async def reactivate_users(call: Call) -> dict[str, Any]:
    call.require_server()
    ids = _batch_ids(call, required=True)
    users = [call.user(uid) for uid in ids]
    inactive = [user.id for user in users if user.deactivated_at is None]
    if inactive:
        raise invalid(f"users {inactive} are not deactivated")
    _created_by(call)
    for user in users:
        _reactivate(call, user, None)
    rendered = [call.emulation.render.user(user) for user in users]
    return {"task_id": call.state.task({"users": rendered})}


@route("GET", "/tasks/{task_id}", "GetTask")
async def get_task(call: Call) -> dict[str, Any]:
    task = call.state.tasks.get(call.params["task_id"])
    if task is None:
        raise not_found(f'task "{call.params["task_id"][:100]}" does not exist')
    return dict(task)


# -- unread counts
# ----------------------------------------------------------------------------------


def unread_summary(call: Call, uid: str) -> dict[str, Any]:
    totals = call.state.unread_totals(uid)
    channels = []
    by_type: dict[str, dict[str, int]] = {}
    for channel in call.state.channels_of(uid):
        read = channel.reads.get(uid)
        if read is None:  # pragma: no cover - every member has a read entry
            continue
        channels.append(
            {
                "channel_id": channel.cid,
                "unread_count": read.unread_messages,
                "last_read": iso(read.last_read),
            }
        )
        bucket = by_type.setdefault(channel.type, {"channel_count": 0, "unread_count": 0})
        if read.unread_messages:
            bucket["channel_count"] += 1
            bucket["unread_count"] += read.unread_messages
    return {
        "total_unread_count": totals["total_unread_count"],
        "total_unread_threads_count": 0,
        "channels": channels,
        "channel_type": [{"channel_type": t, **counts} for t, counts in by_type.items()],
        "threads": [],
    }


@route("GET", "/unread", "UnreadCounts")
async def unread_counts(call: Call) -> dict[str, Any]:
    uid = call.acting_user_id()
    assert uid is not None
    call.user(uid)
    return unread_summary(call, uid)


@route("POST", "/unread_batch", "UnreadCountsBatch")
async def unread_counts_batch(call: Call) -> dict[str, Any]:
    call.require_server()
    ids = _batch_ids(call, required=False)
    return {"counts_by_user": {uid: unread_summary(call, uid) for uid in ids}}
