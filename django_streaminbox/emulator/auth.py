"""Who is calling: Stream's API-key and JWT checks, with Stream's error codes.

The same checks serve REST (``Authorization`` header, bare JWT, no ``Bearer``) and the WebSocket
(``authorization`` query parameter). Claims are checked by hand rather than by PyJWT's own ``exp``/
``nbf``/``iat`` validation so that each failure maps to its own Stream code (40, 41, 42).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt

from .errors import (
    ACCESS_KEY,
    AUTHENTICATION,
    TOKEN_EXPIRED,
    TOKEN_NOT_VALID_YET,
    TOKEN_SIGNATURE_INVALID,
    TOKEN_USED_BEFORE_IAT,
    StreamError,
)

#: Seconds of clock skew allowed on ``iat`` and ``nbf`` (tokens minted "now" on another clock).
LEEWAY = 5


@dataclass(frozen=True)
class Identity:
    """A verified caller: the server (acting for whichever user a request names) or one user."""

    server: bool
    user_id: str | None = None
    issued_at: float | None = None


def check_api_key(given: str | None, expected: str) -> None:
    if given != expected:
        raise StreamError(ACCESS_KEY, "api_key not found")


def authenticate(
    token: str | None, auth_type: str | None, secret: str, *, allow_dev_tokens: bool = False
) -> Identity:
    """Verify one request's credentials or raise the :class:`StreamError` Stream would answer
    with."""
    if auth_type == "anonymous":
        return Identity(server=False)
    if auth_type != "jwt":
        raise StreamError(AUTHENTICATION, "stream-auth-type missing or invalid")
    if not token:
        raise StreamError(AUTHENTICATION, "JWTAuth error: token is missing")
    claims = _decode(token, secret, allow_dev_tokens)
    _check_times(claims)
    issued_at = claims.get("iat")
    if claims.get("server") is True:
        return Identity(server=True, issued_at=issued_at)
    user_id = claims.get("user_id")
    if not isinstance(user_id, str) or not user_id:
        raise StreamError(AUTHENTICATION, "JWTAuth error: user_id is missing from the token")
    return Identity(server=False, user_id=user_id, issued_at=issued_at)


def _decode(token: str, secret: str, allow_dev_tokens: bool) -> dict[str, Any]:
    if allow_dev_tokens and token.count(".") == 2 and token.rsplit(".", 1)[1] == "devtoken":
        return _unverified_claims(token)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise StreamError(
            TOKEN_SIGNATURE_INVALID, "JWTAuth error: signature is not valid"
        ) from None
    except jwt.PyJWTError:
        raise StreamError(AUTHENTICATION, "JWTAuth error: token is malformed") from None
    if not isinstance(claims, dict):  # pragma: no cover - PyJWT always returns a dict
        raise StreamError(AUTHENTICATION, "JWTAuth error: token is malformed")
    return claims


def _unverified_claims(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except ValueError:
        raise StreamError(AUTHENTICATION, "JWTAuth error: token is malformed") from None
    if not isinstance(claims, dict):
        raise StreamError(AUTHENTICATION, "JWTAuth error: token is malformed")
    return claims


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StreamError(AUTHENTICATION, f"JWTAuth error: {name} claim is not a number")
    return float(value)


def _check_times(claims: dict[str, Any]) -> None:
    moment = time.time()
    expires = _number(claims, "exp")
    if expires is not None and expires <= moment:
        raise StreamError(TOKEN_EXPIRED, "JWTAuth error: token is expired (exp)")
    not_before = _number(claims, "nbf")
    if not_before is not None and not_before > moment + LEEWAY:
        raise StreamError(TOKEN_NOT_VALID_YET, "JWTAuth error: token is not valid yet (nbf)")
    issued = _number(claims, "iat")
    if issued is not None and issued > moment + LEEWAY:
        raise StreamError(TOKEN_USED_BEFORE_IAT, "JWTAuth error: token used before issued at (iat)")
