"""Stream's error body, and the one exception every emulator module raises to produce it.

Stream answers every failure with the same JSON object (``code``, ``message``, ``StatusCode``,
``duration``, ``more_info``, ``details``); the SDKs read ``code`` from it (the JS client refreshes
a token
on code 40, the Python SDK exposes ``error_code``). Raising :class:`StreamError` anywhere in a
handler is
enough: the middleware turns it into that body, and the WebSocket wraps the same body in
``{"error": …}``.
"""

from __future__ import annotations

from typing import Any

MORE_INFO = "https://getstream.io/chat/docs/api_errors_response"

# Stream's numeric error codes (docs: api_errors_response.md) and the HTTP status each comes with.
INTERNAL = -1
ACCESS_KEY = 2
INPUT = 4
AUTHENTICATION = 5
RATE_LIMITED = 9
DOES_NOT_EXIST = 16
NOT_ALLOWED = 17
EVENT_NOT_SUPPORTED = 18
PAYLOAD_TOO_BIG = 22
TOKEN_EXPIRED = 40
TOKEN_NOT_VALID_YET = 41
TOKEN_USED_BEFORE_IAT = 42
TOKEN_SIGNATURE_INVALID = 43

STATUS_FOR_CODE = {
    INTERNAL: 500,
    ACCESS_KEY: 401,
    INPUT: 400,
    AUTHENTICATION: 401,
    RATE_LIMITED: 429,
    DOES_NOT_EXIST: 404,
    NOT_ALLOWED: 403,
    EVENT_NOT_SUPPORTED: 400,
    PAYLOAD_TOO_BIG: 413,
    TOKEN_EXPIRED: 401,
    TOKEN_NOT_VALID_YET: 401,
    TOKEN_USED_BEFORE_IAT: 401,
    TOKEN_SIGNATURE_INVALID: 401,
}


class StreamError(Exception):
    """A failure the emulator reports to the caller exactly as Stream would.

    ``reason`` is the inner text; the message becomes ``<Operation> failed with error: "<reason>"``
    once
    the middleware knows which operation (endpoint) was called, as in Stream's own messages.
    """

    def __init__(self, code: int, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.status = status if status is not None else STATUS_FOR_CODE.get(code, 400)

    def body(self, operation: str = "", duration: str = "0.00ms") -> dict[str, Any]:
        message = f'{operation} failed with error: "{self.reason}"' if operation else self.reason
        return error_body(self.code, message, self.status, duration)


def error_body(code: int, message: str, status: int, duration: str = "0.00ms") -> dict[str, Any]:
    """Stream's ``APIError`` object: every required key present, as the real API sends it."""
    return {
        "code": code,
        "message": message,
        "StatusCode": status,
        "duration": duration,
        "more_info": MORE_INFO,
        "details": [],
    }


def invalid(reason: str) -> StreamError:
    """Bad input (code 4, HTTP 400): the most common failure, given a short name."""
    return StreamError(INPUT, reason)


def not_found(reason: str) -> StreamError:
    return StreamError(DOES_NOT_EXIST, reason)


def not_allowed(reason: str) -> StreamError:
    return StreamError(NOT_ALLOWED, reason)
