"""The WebSocket side: ``/connect``, heartbeats, watchers, presence and event delivery.

Protocol (reference §1): the client authenticates in the query string; the first text frame is the
``health.check`` connection event carrying ``connection_id`` and ``me`` (with ``mutes`` and
``channel_mutes`` arrays); an auth failure is sent *in band* as ``{"error": {...}}`` followed by a
close with code 1000 (rejecting the upgrade would make the JS client retry blindly). Client pings
are
JSON arrays ``[{"type": "health.check", ...}]``; the server answers each and also sends a
``health.check`` after every ``heartbeat_interval`` seconds of silence.

The :class:`Hub` subscribes to the event bus and delivers each event to the connections its
:class:`~.events.Audience` names. Each connection has its own queue and writer task, so frames
reach a
client in publication order and a slow client never holds up the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .auth import Identity, authenticate, check_api_key
from .errors import AUTHENTICATION, NOT_ALLOWED, StreamError, error_body
from .events import Audience, Event
from .state import iso, new_id, now
from .users import clean_user_fields
from .validation import obj, user_id

if TYPE_CHECKING:
    from .context import Emulation

logger = logging.getLogger(__name__)
CLOSE_NORMAL = 1000
#: What a server going away sends: clients treat it as an outage and reconnect (1000 would not).
CLOSE_GOING_AWAY = 1001


@dataclass(eq=False)
class Connection:
    id: str
    user_id: str
    ws: web.WebSocketResponse
    queue: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    watching: set[str] = field(default_factory=set)
    presence: set[str] = field(default_factory=set)
    close_code: int = CLOSE_NORMAL

    def send(self, frame: str) -> None:
        self.queue.put_nowait(frame)


class Hub:
    def __init__(self, emulation: Emulation) -> None:
        self.emulation = emulation
        self.connections: dict[str, Connection] = {}
        self.by_user: dict[str, set[str]] = {}
        self.watchers: dict[str, set[str]] = {}
        #: user id -> connections subscribed to that user's presence.
        self.presence_subscribers: dict[str, set[str]] = {}

    # -- queries used by rendering ----------------------------------------------------------------

    def is_online(self, uid: str) -> bool:
        return bool(self.by_user.get(uid))

    def watcher_count(self, cid: str) -> int:
        return len(self.watching_users(cid))

    def watching_users(self, cid: str) -> list[str]:
        users = {
            self.connections[c].user_id for c in self.watchers.get(cid, ()) if c in self.connections
        }
        return sorted(users)

    # -- subscriptions ----------------------------------------------------------------------------

    def _own(self, connection_id: str, identity: Identity) -> Connection | None:
        """The connection, if it exists and belongs to the caller (server calls may name any)."""
        connection = self.connections.get(connection_id)
        if connection is None:
            return None
        if not identity.server and connection.user_id != identity.user_id:
            return None
        return connection

    def watch(self, connection_id: str, identity: Identity, cid: str) -> bool:
        """Start watching; True when the connection was not yet watching the channel."""
        connection = self._own(connection_id, identity)
        if connection is None or cid in connection.watching:
            return False
        connection.watching.add(cid)
        self.watchers.setdefault(cid, set()).add(connection.id)
        return True

    def unwatch(self, connection_id: str, identity: Identity, cid: str) -> bool:
        connection = self._own(connection_id, identity)
        if connection is None or cid not in connection.watching:
            return False
        connection.watching.discard(cid)
        self.watchers.get(cid, set()).discard(connection.id)
        return True

    def stop_watching_user(self, uid: str, cid: str) -> None:
        for connection_id in list(self.by_user.get(uid, ())):
            connection = self.connections[connection_id]
            connection.watching.discard(cid)
            self.watchers.get(cid, set()).discard(connection_id)

    def forget_channel(self, cid: str) -> None:
        for connection_id in self.watchers.pop(cid, set()):
            if connection_id in self.connections:
                self.connections[connection_id].watching.discard(cid)

    def subscribe_presence(self, connection_id: str, identity: Identity, uids: list[str]) -> None:
        connection = self._own(connection_id, identity)
        if connection is None:
            return
        for uid in uids:
            connection.presence.add(uid)
            self.presence_subscribers.setdefault(uid, set()).add(connection.id)

    # -- delivery ---------------------------------------------------------------------------------

    def recipients(self, event: Event) -> list[Connection]:
        audience = event.audience
        ids: set[str] = set()
        if audience.watchers_of is not None:
            ids |= self.watchers.get(audience.watchers_of, set())
        for uid in audience.users:
            for connection_id in self.by_user.get(uid, ()):
                connection = self.connections[connection_id]
                if (
                    audience.not_watching is None
                    or audience.not_watching not in connection.watching
                ):
                    ids.add(connection_id)
        if audience.presence_of is not None:
            ids |= self.presence_subscribers.get(audience.presence_of, set())
            ids |= self.by_user.get(audience.presence_of, set())
        ids -= audience.exclude_connections
        return [self.connections[c] for c in sorted(ids) if c in self.connections]

    def deliver(self, event: Event) -> None:
        """Bus subscriber: serialise once, splice in each recipient's unread totals if asked."""
        targets = self.recipients(event)
        if not targets:
            return
        base = json.dumps(event.payload, separators=(",", ":"))
        if not event.unread_totals:
            for connection in targets:
                connection.send(base)
            return
        head = base[:-1]
        per_user: dict[str, str] = {}
        for connection in targets:
            frame = per_user.get(connection.user_id)
            if frame is None:
                totals = self.emulation.state.unread_totals(connection.user_id)
                extra = ",".join(f'"{key}":{value}' for key, value in totals.items()) + "}"
                frame = per_user[connection.user_id] = (
                    f"{head},{extra}" if len(base) > 2 else "{" + extra
                )
            connection.send(frame)

    # -- connection lifecycle ---------------------------------------------------------------------

    def _register(self, connection: Connection) -> bool:
        """Add a connection; True when it is the user's first (the user comes online)."""
        first = not self.by_user.get(connection.user_id)
        self.connections[connection.id] = connection
        self.by_user.setdefault(connection.user_id, set()).add(connection.id)
        return first

    def _unregister(self, connection: Connection) -> None:
        if self.connections.pop(connection.id, None) is None:
            return
        self.by_user.get(connection.user_id, set()).discard(connection.id)
        last = not self.by_user.get(connection.user_id)
        if last:
            self.by_user.pop(connection.user_id, None)
        render = self.emulation.render
        for cid in connection.watching:
            watchers = self.watchers.get(cid, set())
            watchers.discard(connection.id)
            channel = self.emulation.state.channels.get(cid)
            if channel is not None and connection.user_id not in self.watching_users(cid):
                from .channels import channel_event

                self.emulation.publish(
                    Event(
                        channel_event(
                            channel,
                            "user.watching.stop",
                            user=render.user_by_id(connection.user_id),
                            watcher_count=self.watcher_count(cid),
                        ),
                        Audience(watchers_of=cid),
                    )
                )
        for uid in connection.presence:
            self.presence_subscribers.get(uid, set()).discard(connection.id)
        if last:
            self._presence_changed(connection.user_id)
        connection.queue.put_nowait(None)

    def _presence_changed(self, uid: str) -> None:
        user = self.emulation.state.users.get(uid)
        if user is None:
            return
        if user.data.get("invisible") is True:
            return
        user.last_active = now()
        self.emulation.publish(
            Event(
                {
                    "type": "user.presence.changed",
                    "user": self.emulation.render.user(user),
                    "created_at": iso(now()),
                },
                Audience(presence_of=uid),
            )
        )

    def disconnect_user(self, uid: str) -> None:
        """Close every socket of a deleted or deactivated user."""
        for connection_id in list(self.by_user.get(uid, ())):
            connection = self.connections.get(connection_id)
            if connection is not None:
                self._unregister(connection)

    def drop_all(self, code: int = CLOSE_NORMAL) -> None:
        """Close every socket (reset/stop) without announcing anything.

        ``stop()`` passes ``CLOSE_GOING_AWAY``: an outage must look like one, so that clients show
        it and reconnect, as they do when the real service drops them.
        """
        for connection in list(self.connections.values()):
            connection.close_code = code
            connection.queue.put_nowait(None)
        self.connections.clear()
        self.by_user.clear()
        self.watchers.clear()
        self.presence_subscribers.clear()


def health_check(connection_id: str) -> dict[str, Any]:
    return {
        "type": "health.check",
        "connection_id": connection_id,
        "cid": "*",
        "created_at": iso(now()),
    }


async def _writer(connection: Connection) -> None:
    """Send queued frames in order; ``None`` means close with 1000."""
    while True:
        frame = await connection.queue.get()
        if frame is None:
            break
        try:
            await connection.ws.send_str(frame)
        except (ConnectionError, RuntimeError):
            break
    with contextlib.suppress(Exception):
        await connection.ws.close(code=connection.close_code)


def _authenticate(emulation: Emulation, query: Any) -> tuple[str, dict[str, Any]]:
    """Check the ``/connect`` query string; returns (user id, user_details) or raises
    StreamError."""
    config = emulation.config
    check_api_key(query.get("api_key"), config.api_key)
    try:
        payload = json.loads(query.get("json", ""))
    except ValueError:
        raise StreamError(
            AUTHENTICATION, "json query parameter is missing or not valid JSON"
        ) from None
    payload = obj(payload, "json")
    token = query.get("authorization")
    auth_type = query.get("stream-auth-type")
    identity = authenticate(
        token, auth_type, config.api_secret, allow_dev_tokens=config.allow_dev_tokens
    )
    if identity.server or identity.user_id is None:
        raise StreamError(AUTHENTICATION, "WebSocket connections need a user token")
    emulation.check_revocation(identity)
    uid = user_id(payload.get("user_id", identity.user_id))
    if uid != identity.user_id:
        raise StreamError(
            AUTHENTICATION, "JWTAuth error: the token's user_id does not match the user"
        )
    details = payload.get("user_details") or {}
    details = obj(details, "user_details")
    return uid, details


def _upsert_connecting_user(emulation: Emulation, uid: str, details: dict[str, Any]) -> None:
    """``connectUser`` upserts the user from ``user_details``, but never privileged fields."""
    from .state import User

    state = emulation.state
    safe = {k: v for k, v in details.items() if k not in ("role", "teams", "teams_role")}
    _, data = clean_user_fields(safe, server=False)
    user = state.users.get(uid)
    if user is None:
        user = state.users[uid] = User(id=uid, data=data)
    else:
        if user.deactivated_at is not None:
            raise StreamError(NOT_ALLOWED, f'user "{uid}" is deactivated')
        if user.deleted_at is not None:
            raise StreamError(NOT_ALLOWED, f'user "{uid}" was deleted')
        if data and {k: user.data.get(k) for k in data} != data:
            user.data = {**user.data, **data}
            user.updated_at = now()
    user.last_active = now()
    emulation.dirty = True


async def connect(request: web.Request) -> web.StreamResponse:
    """``GET /connect``: the JS SDK's WebSocket (no subprotocol, auth in the query string)."""
    from .app import EMULATION

    emulation: Emulation = request.app[EMULATION]
    ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1024 * 1024)
    await ws.prepare(request)
    try:
        uid, details = _authenticate(emulation, request.query)
        _upsert_connecting_user(emulation, uid, details)
    except StreamError as error:
        emulation.request_log.append(_log_entry(request, error.status))
        await ws.send_str(json.dumps({"error": error.body("Connect")}))
        await ws.close(code=CLOSE_NORMAL)
        return ws
    emulation.request_log.append(_log_entry(request, 101))
    hub = emulation.hub
    connection = Connection(id=new_id(), user_id=uid, ws=ws)
    writer = asyncio.get_running_loop().create_task(_writer(connection))
    user = emulation.state.users[uid]
    # Register before rendering ``me`` (Stream reports the connecting user as online) and queue the
    # connection event before any other frame (presence) can reach this connection.
    first_connection = hub._register(connection)
    first_frame = {**health_check(connection.id), "me": emulation.render.me(user)}
    connection.send(json.dumps(first_frame, separators=(",", ":")))
    if first_connection:
        hub._presence_changed(uid)
    try:
        await _read_loop(emulation, connection)
    finally:
        hub._unregister(connection)
        connection.queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(writer, timeout=2)
    return ws


async def _read_loop(emulation: Emulation, connection: Connection) -> None:
    ws = connection.ws
    while not ws.closed:
        try:
            message = await ws.receive(timeout=emulation.config.heartbeat_interval)
        except asyncio.TimeoutError:
            connection.send(json.dumps(health_check(connection.id)))
            continue
        if message.type == WSMsgType.TEXT:
            _on_client_frame(connection, message.data)
        elif message.type in (
            WSMsgType.CLOSE,
            WSMsgType.CLOSING,
            WSMsgType.CLOSED,
            WSMsgType.ERROR,
        ):
            break
        if connection.id not in emulation.hub.connections:  # dropped by reset or user deletion
            break


def _on_client_frame(connection: Connection, text: str) -> None:
    """Client heartbeats are JSON arrays of ``health.check``; anything else gets an in-band
    error."""
    try:
        frames = json.loads(text)
    except ValueError:
        frames = None
    if isinstance(frames, dict):
        frames = [frames]
    if not isinstance(frames, list):
        body = error_body(4, 'WS failed with error: "frame is not valid JSON"', 400)
        connection.send(json.dumps({"error": body}))
        return
    for frame in frames:
        if isinstance(frame, dict) and frame.get("type") == "health.check":
            connection.send(json.dumps(health_check(connection.id)))


def _log_entry(request: web.Request, status: int) -> dict[str, Any]:
    query = {k: v for k, v in request.query.items() if k != "authorization"}
    return {
        "method": "GET",
        "path": request.path,
        "status": status,
        "query": query,
        "body": None,
        "operation": "Connect",
        "time": iso(now()),
    }
