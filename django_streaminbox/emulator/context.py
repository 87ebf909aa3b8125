"""The emulator's core object and the per-request ``Call`` every handler receives.

:class:`Emulation` owns everything that lives as long as the server: configuration, state, the event
bus, the WebSocket hub, the request log, faults and rate limits. It is built once per
:class:`~django_streaminbox.emulator.server.Emulator` and outlives stop/start cycles (state is
kept).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .auth import Identity
from .errors import TOKEN_USED_BEFORE_IAT, StreamError, invalid, not_allowed, not_found
from .events import Event, EventBus
from .faults import Faults
from .ratelimits import RateLimiter
from .render import Renderer
from .state import Channel, State, User, parse_iso
from .validation import obj, opt_string, user_id

if TYPE_CHECKING:
    from .websocket import Hub


@dataclass
class Config:
    api_key: str
    api_secret: str
    #: Accept JS ``DevToken``s (signature "devtoken"), like an app with "Disable Auth Checks" on.
    allow_dev_tokens: bool = False
    #: Enforce Stream's per-endpoint rate limits (otherwise only counted and reported in headers).
    enforce_rate_limits: bool = False
    #: Seconds between server-sent ``health.check`` frames on each socket (Stream: 30).
    heartbeat_interval: float = 30.0
    #: Largest request body accepted, in bytes; bigger ones get 413 (code 22).
    max_body_size: int = 1024 * 1024
    #: Seconds between two attempts of an outgoing webhook (tests use 0 to stay fast).
    webhook_retry_delay: float = 1.0


#: How many API calls the request log keeps (a 100,000-user backfill is 1,000 calls).
REQUEST_LOG_SIZE = 100_000


class Emulation:
    def __init__(self, config: Config) -> None:
        from .webhooks import WebhookSender
        from .websocket import Hub

        self.config = config
        self.state = State()
        self.bus = EventBus()
        self.hub: Hub = Hub(self)
        self.render = Renderer(self)
        self.bus.subscribe(self.hub.deliver)
        self.webhooks = WebhookSender(self)
        self.bus.subscribe(self.webhooks)
        self.faults = Faults()
        self.rate_limiter = RateLimiter()
        #: The latest calls, oldest first; bounded so that a demo left running for days stays small.
        self.request_log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        #: Set by every successful write; the ``--data`` saver clears it.
        self.dirty = False

    def reset(self) -> None:
        """Empty state, request log, faults and rate-limit counters (WebSockets are closed)."""
        self.state.reset()
        self.request_log.clear()
        self.faults.clear()
        self.rate_limiter.reset()
        self.hub.drop_all()
        self.webhooks.reset()
        self.dirty = True

    def check_revocation(self, identity: Identity) -> None:
        """Code 42 for user tokens issued before the app's or the user's revocation time.

        Once a revocation time is set, tokens without ``iat`` count as revoked too (Stream docs).
        """
        if identity.server or identity.user_id is None:
            return
        user = self.state.users.get(identity.user_id)
        limits = [parse_iso(self.state.app_settings.get("revoke_tokens_issued_before"))]
        limits.append(user.revoke_tokens_issued_before if user else None)
        for limit in limits:
            if limit is None:
                continue
            if identity.issued_at is None or identity.issued_at < limit.timestamp():
                raise StreamError(TOKEN_USED_BEFORE_IAT, "JWTAuth error: token has been revoked")

    def publish(self, event: Event) -> None:
        self.bus.publish(event)


@dataclass
class Call:
    """One authenticated API request, already parsed: what a handler needs and nothing else."""

    emulation: Emulation
    identity: Identity
    body: dict[str, Any]
    query: dict[str, str]
    params: dict[str, str]
    connection_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> State:
        return self.emulation.state

    @property
    def server(self) -> bool:
        return self.identity.server

    def require_server(self) -> None:
        if not self.server:
            raise not_allowed("this endpoint can only be called with server-side authentication")

    def acting_user_id(self, *containers: dict[str, Any], required: bool = True) -> str | None:
        """The user a request acts for: the token's user, or (server-side) the one the payload
        names.

        Server-side calls name their user as ``user: {id}``, ``user_id`` in one of ``containers``
        (the
        body by default) or the ``user_id`` query parameter.
        """
        if not self.server:
            return self.identity.user_id
        for container in (*containers, self.body):
            user = container.get("user")
            if user is not None:
                return user_id(obj(user, "user").get("id"), "user.id")
            named = opt_string(container, "user_id")
            if named is not None:
                return user_id(named)
        if "user_id" in self.query:
            return user_id(self.query["user_id"])
        if required:
            raise invalid("either user.id or user_id is required when using server side auth")
        return None

    def user(self, uid: str) -> User:
        found = self.state.users.get(uid)
        if found is None or found.deleted_at is not None:
            raise not_found(f'user "{uid}" does not exist')
        return found

    def channel(self) -> Channel:
        cid = f"{self.params['type']}:{self.params['id']}"
        found = self.state.channels.get(cid)
        if found is None:
            raise not_found(f'channel "{cid}" does not exist')
        return found

    def member_or_server(self, channel: Channel, uid: str | None, action: str) -> None:
        """Client-side, messaging channels are readable and writable by their members only."""
        if self.server:
            return
        if uid is None or uid not in channel.members:
            raise not_allowed(
                f"User '{uid}' with role 'user' is not allowed to perform action {action} "
                f"in scope '{channel.type}'"
            )


Handler = Callable[[Call], Awaitable[dict[str, Any]]]
