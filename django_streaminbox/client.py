"""One Stream client per process, and the translation of its failures into ours.

The client keeps a pooled HTTP session, so it is built once, on first use (never at import:
``check`` and ``collectstatic`` must run without credentials), and dropped whenever a
``STREAMINBOX_`` setting changes so that ``override_settings`` and tests see the new values.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import requests
from django.core.signals import setting_changed
from django.dispatch import receiver
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from .conf import get_setting
from .exceptions import ConfigurationError, StreamError, StreamRejected, StreamUnavailable

#: Where Stream lives when ``STREAMINBOX_BASE_URL`` is empty.
STREAM_BASE_URL = "https://chat.stream-io-api.com"

#: Seconds a browser is told to wait when Stream gives no better answer.
DEFAULT_RETRY_AFTER = 5

#: Connections kept open to Stream. requests keeps 10, fewer than a threaded server's workers:
#: the rest would each open and throw away a connection (and log "Connection pool is full").
POOL_SIZE = 32

_client: StreamChat | None = None
_lock = threading.Lock()
_last_headers = threading.local()


def base_url() -> str:
    """The Stream API root, without a trailing slash (the SDK appends ``/<path>``)."""
    return str(get_setting("BASE_URL") or STREAM_BASE_URL).rstrip("/")


def credentials() -> tuple[str, str]:
    """The API key and secret, or a ``ConfigurationError`` naming the missing setting."""
    key, secret = get_setting("API_KEY"), get_setting("API_SECRET")
    for name, value in (("STREAMINBOX_API_KEY", key), ("STREAMINBOX_API_SECRET", secret)):
        if not value:
            raise ConfigurationError(f"Set {name} to use Stream (see the README's quickstart).")
    return str(key), str(secret)


def get_client() -> StreamChat:
    """The process's Stream client, built on first use from the current settings."""
    global _client
    client = _client
    if client is None:
        with _lock:
            if _client is None:
                _client = _build_client()
            client = _client
    return client


def _build_client() -> StreamChat:
    key, secret = credentials()
    timeout = float(get_setting("TIMEOUT"))
    client = StreamChat(api_key=key, api_secret=secret, timeout=timeout, base_url=base_url())
    # The SDK lets STREAM_CHAT_TIMEOUT override its argument; the setting is the one to obey here.
    client.timeout = timeout
    for scheme in ("http://", "https://"):  # the SDK's own retry policy, a bigger pool
        adapter = requests.adapters.HTTPAdapter(max_retries=1, pool_maxsize=POOL_SIZE)
        client.session.mount(scheme, adapter)
    client.session.hooks["response"].append(_remember_headers)
    return client


def _remember_headers(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    # The SDK's exceptions carry no headers, yet a 429's x-ratelimit-reset says when to retry.
    _last_headers.value = {k.lower(): v for k, v in response.headers.items()}


def last_response_headers() -> dict[str, str]:
    """Headers (lower-cased) of this thread's most recent Stream response."""
    headers: dict[str, str] = getattr(_last_headers, "value", {})
    return headers


@receiver(setting_changed)
def reset_client(*, setting: str, **kwargs: Any) -> None:
    """Drop the client when any ``STREAMINBOX_`` setting changes; the next call builds a new one."""
    global _client
    if setting.startswith("STREAMINBOX_"):
        with _lock:
            old, _client = _client, None
        if old is not None:
            old.session.close()


def create_token(
    user_id: str, *, ttl: int, claims: dict[str, Any] | None = None
) -> tuple[str, int]:
    """Sign a user token locally (no Stream call): ``(token, expires_at)`` in unix seconds.

    ``iat`` and ``exp`` are always set, and ``user_id`` always wins over any extra claim.
    """
    _, secret = credentials()
    now = int(time.time())
    expires_at = now + int(ttl)
    payload = {**(claims or {}), "user_id": user_id, "iat": now, "exp": expires_at}
    return jwt.encode(payload, secret, algorithm="HS256"), expires_at


def seconds_until_reset(headers: dict[str, str], default: int = DEFAULT_RETRY_AFTER) -> int:
    """Whole seconds until ``x-ratelimit-reset`` (unix time), at least 1; else ``default``."""
    raw = headers.get("x-ratelimit-reset", "")
    try:
        reset = float(raw.split(",")[0])
    except ValueError:
        return default
    return max(1, int(reset - time.time() + 0.999))


def translate(exc: BaseException) -> StreamError:
    """Our exception for a failed SDK call: unavailable (retry later) or rejected (do not)."""
    if isinstance(exc, StreamAPIException):
        code = getattr(exc, "error_code", None)
        message = f"Stream answered {exc.status_code}: {getattr(exc, 'error_message', exc)}"
        if exc.status_code == 429:
            retry_after = seconds_until_reset(last_response_headers())
            return StreamUnavailable(message, status=429, code=code, retry_after=retry_after)
        if exc.status_code >= 500 or exc.status_code == 408:
            return StreamUnavailable(message, status=exc.status_code, code=code)
        return StreamRejected(message, status=exc.status_code, code=code)
    # Connection refused, DNS, TLS, timeouts: requests' errors all derive from RequestException.
    return StreamUnavailable(f"Stream could not be reached: {type(exc).__name__}")


@contextmanager
def stream_errors() -> Iterator[None]:
    """Run SDK calls inside this to get ``StreamUnavailable`` / ``StreamRejected`` instead."""
    try:
        yield
    except (StreamAPIException, requests.RequestException) as exc:
        raise translate(exc) from exc
