"""The package's exceptions, each a subclass of the builtin or Django type it means.

Views turn them into JSON errors (``views.StreamInboxAPIView.error_from_exception``); code
outside views can catch the base classes it already knows.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class StreamInboxError(Exception):
    """Base class of every error raised by django-streaminbox."""


class ConfigurationError(StreamInboxError, ImproperlyConfigured):
    """A ``STREAMINBOX_*`` setting is missing or wrong; the message names the setting."""


class StreamError(StreamInboxError):
    """A call to Stream did not succeed."""

    def __init__(self, message: str, *, status: int | None = None, code: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class StreamUnavailable(StreamError, ConnectionError):
    """Stream could not be reached, timed out, failed (5xx) or rate-limited us: try again later.

    ``retry_after`` is how many seconds to wait, from Stream's rate-limit reset when it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: object = None,
        retry_after: int = 5,
    ) -> None:
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class StreamRejected(StreamError):
    """Stream answered but refused the request (a 4xx other than 429): retrying will not help."""


class APIError(StreamInboxError):
    """An error an API view answers with: ``{"error": {"code": code, "message": message}}``."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class BadRequest(APIError):
    status = 400
    code = "bad_request"


class NotAuthenticated(APIError):
    status = 401
    code = "not_authenticated"


class Forbidden(APIError):
    status = 403
    code = "forbidden"


class NotFound(APIError):
    status = 404
    code = "not_found"
