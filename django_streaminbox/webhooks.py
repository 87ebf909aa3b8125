"""Verifying and parsing Stream's webhook requests, apart from any view, to be testable alone.

Stream signs each webhook with ``X-Signature``: the lower-case hex HMAC-SHA256 of the
*uncompressed* JSON body, keyed with the app's API secret. The body may arrive gzipped
(``Content-Encoding: gzip``, an app option) or already inflated by a proxy or middleware that left
the header behind, so the gzip magic bytes decide, not the header: a JSON body can never start with
them. The stream-chat SDK's own ``verify_webhook`` compares with ``==`` and chokes on gzip; this
module does neither.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib

from .events import StreamEvent
from .exceptions import APIError, StreamInboxError

GZIP_MAGIC = b"\x1f\x8b"


class WebhookRejected(APIError):
    """A webhook request this site will not act on; nothing is dispatched for it."""


class InvalidSignature(WebhookRejected):
    """Missing or wrong ``X-Signature`` or ``X-Api-Key``: the request may not come from Stream."""

    status = 401
    code = "invalid_signature"


class MalformedWebhook(WebhookRejected):
    """The body is not a (possibly gzipped) JSON object with a ``type``."""

    status = 400
    code = "malformed_body"


class WebhookTooLarge(WebhookRejected):
    """The body, or what it inflates to, is larger than ``STREAMINBOX_WEBHOOK_MAX_BYTES``."""

    status = 413
    code = "body_too_large"


class ReceiverFailed(StreamInboxError, RuntimeError):
    """A ``stream_event`` receiver raised (the original exception is the ``__cause__``)."""


def sign(body: bytes, secret: str) -> str:
    """The ``X-Signature`` Stream sends with ``body`` (the uncompressed JSON bytes)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(body: bytes, signature: str, secret: str) -> bool:
    """Whether ``signature`` signs ``body``, in constant time so that timing reveals nothing."""
    if not secret:
        return False
    try:
        return hmac.compare_digest(sign(body, secret), signature.strip().lower())
    except TypeError:  # non-ASCII characters in the header: not a hex digest
        return False


def inflate(body: bytes, *, max_bytes: int) -> bytes:
    """``body`` gunzipped when it starts with the gzip magic, else unchanged.

    Inflates at most ``max_bytes`` (a small gzip can expand to gigabytes) and insists on a complete
    stream, so that a truncated upload is reported as such instead of being half-read.
    """
    if not body.startswith(GZIP_MAGIC):
        return body
    inflated = bytearray()
    rest = body
    while rest:
        decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            inflated += decompressor.decompress(rest, max_bytes + 1 - len(inflated))
        except zlib.error as error:
            raise MalformedWebhook("The body is not valid gzip.") from error
        if len(inflated) > max_bytes:
            raise WebhookTooLarge(f"The inflated body is larger than {max_bytes} bytes.")
        if not decompressor.eof:
            raise MalformedWebhook("The gzip body is truncated.")
        rest = decompressor.unused_data  # gzip allows several members one after the other
    return bytes(inflated)


def parse(body: bytes, *, webhook_id: str = "", attempt: int = 1) -> StreamEvent:
    """The event in a verified, uncompressed body: a JSON object with a non-empty ``type``."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        raise MalformedWebhook("The body is not JSON.") from error
    if not isinstance(payload, dict):
        raise MalformedWebhook("The body is not a JSON object.")
    if not isinstance(payload.get("type"), str) or not payload["type"]:
        raise MalformedWebhook("The event has no type.")
    return StreamEvent(payload, webhook_id=webhook_id, attempt=attempt)


def verify_and_parse(
    body: bytes,
    *,
    signature: str,
    secret: str,
    max_bytes: int,
    webhook_id: str = "",
    attempt: int = 1,
) -> StreamEvent:
    """Inflate, verify and parse one webhook body; raises a :class:`WebhookRejected` subclass.

    The order matters: the signature is checked before any JSON is parsed, so an unsigned body
    costs at most one bounded inflate and one HMAC.
    """
    if not signature:
        raise InvalidSignature("The X-Signature header is missing.")
    if len(body) > max_bytes:
        raise WebhookTooLarge(f"The body is larger than {max_bytes} bytes.")
    inflated = inflate(body, max_bytes=max_bytes)
    if not signature_matches(inflated, signature, secret):
        raise InvalidSignature("The X-Signature does not match the body.")
    return parse(inflated, webhook_id=webhook_id, attempt=attempt)
