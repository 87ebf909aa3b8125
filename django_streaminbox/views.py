"""The package's views, on one JSON-API base class.

Every API endpoint answers JSON, errors included: ``{"error": {"code": "...", "message": "..."}}``.
Anonymous users get a 401 (never a redirect to a login page a script cannot follow), a missing
CSRF token a 403, bad input a 400, and Stream being unreachable a 503 with ``Retry-After``, never a
500 page.
Each view exposes small hook methods; customise by subclassing and pointing a URL at the subclass.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any, ClassVar

from django.core.cache import BaseCache, caches
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.views import View

from . import webhooks
from .conf import get_setting
from .events import StreamEvent
from .exceptions import (
    APIError,
    BadRequest,
    ConfigurationError,
    NotAuthenticated,
    StreamRejected,
    StreamUnavailable,
)
from .signals import stream_event

logger = logging.getLogger("django_streaminbox")


class _CsrfCheck(CsrfViewMiddleware):
    """Django's own CSRF check, made to report its reason instead of rendering the HTML 403 page."""

    def _reject(self, request: HttpRequest, reason: str) -> HttpResponse:
        response = HttpResponse(status=403)
        response.csrf_reason = reason  # type: ignore[attr-defined]
        return response


def _no_response(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError("the CSRF check never calls the view")


class StreamInboxAPIView(View):
    """Base of the package's JSON endpoints; subclass it for your own endpoints too.

    ``login_required``: anonymous requests get a 401 JSON error. ``csrf_protect``: unsafe methods
    need Django's CSRF token (session-authenticated browsers post here); the webhook view turns it
    off because Stream signs its requests instead.
    """

    login_required: ClassVar[bool] = True
    csrf_protect: ClassVar[bool] = True

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)
        # The CSRF check runs in ``check_request``, so that its failure is JSON, not an HTML page.
        view.csrf_exempt = True  # type: ignore[attr-defined]
        # Anonymous users get a 401 here; LoginRequiredMiddleware must not redirect them instead.
        view.login_required = False  # type: ignore[attr-defined]
        return view

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            self.check_request(request)
            response = super().dispatch(request, *args, **kwargs)
        except Exception as exc:
            response = self.error_from_exception(exc)
        add_never_cache_headers(response)
        return response

    # Checks run before the handler.

    def check_request(self, request: HttpRequest) -> None:
        """Refuse the request before the handler runs: authentication first, then CSRF."""
        if self.login_required and not self.is_authenticated(request):
            raise NotAuthenticated("Log in to use this endpoint.")
        if self.csrf_protect and request.method not in ("GET", "HEAD", "OPTIONS", "TRACE"):
            check = _CsrfCheck(_no_response)
            check.process_request(request)
            rejected = check.process_view(request, _no_response, (), {})
            if rejected is not None:
                reason = getattr(rejected, "csrf_reason", "CSRF verification failed.")
                message = f"CSRF verification failed: {reason}"
                raise APIError(message, code="csrf_failed", status=403)

    def is_authenticated(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated)

    # Reading input.

    def get_payload(self) -> dict[str, Any]:
        """The request's data: a JSON object body, or form fields (last value of each)."""
        request = self.request
        if request.content_type == "application/json":
            try:
                payload = json.loads(request.body or b"{}")
            except (ValueError, UnicodeDecodeError):
                message = "The request body is not valid JSON."
                raise BadRequest(message, code="invalid_json") from None
            if not isinstance(payload, dict):
                raise BadRequest("The request body must be a JSON object.", code="invalid_json")
            return payload
        return request.POST.dict()

    # Writing output.

    def json_response(self, data: dict[str, Any], status: int = 200) -> JsonResponse:
        return JsonResponse(data, status=status)

    def error_response(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> JsonResponse:
        """The one shape of every error: ``{"error": {"code": code, "message": message}}``."""
        response = JsonResponse({"error": {"code": code, "message": message}}, status=status)
        for name, value in (headers or {}).items():
            response[name] = value
        return response

    def error_from_exception(self, exc: Exception) -> JsonResponse:
        """Turn an exception raised while handling the request into its JSON error."""
        if isinstance(exc, APIError):
            return self.error_response(exc.status, exc.code, exc.message)
        if isinstance(exc, StreamUnavailable):
            logger.warning("Stream is unavailable: %s", exc)
            return self.error_response(
                503,
                "stream_unavailable",
                "The chat service cannot be reached right now; try again shortly.",
                headers={"Retry-After": str(max(1, exc.retry_after))},
            )
        if isinstance(exc, StreamRejected):
            logger.error("Stream refused a request: %s", exc)
            return self.error_response(502, "stream_error", "The chat service refused the request.")
        if isinstance(exc, Http404):
            return self.error_response(404, "not_found", "Not found.")
        if isinstance(exc, PermissionDenied):
            return self.error_response(403, "forbidden", "You may not do this.")
        if isinstance(exc, SuspiciousOperation):
            return self.error_response(400, "bad_request", "The request was refused.")
        if isinstance(exc, ConfigurationError):
            logger.error("django-streaminbox is not configured: %s", exc)
            return self.error_response(500, "not_configured", "Messaging is not configured.")
        # A bug: reported like any other (error emails, Sentry), answered as JSON all the same.
        logger.exception("Unexpected error in %s", type(self).__name__)
        got_request_exception.send(sender=type(self), request=self.request)
        return self.error_response(500, "server_error", "Something went wrong on our side.")

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        allowed = ", ".join(m.upper() for m in self.http_method_names if hasattr(self, m))
        return self.error_response(
            405, "method_not_allowed", f"Use {allowed}.", headers={"Allow": allowed}
        )


# Webhooks: Stream calling back (owner: the webhook engineer).


class WebhookView(StreamInboxAPIView):
    """Receives Stream's signed webhooks and sends each event as the ``stream_event`` signal.

    No login and no CSRF token: Stream proves itself with ``X-Signature`` instead, and that check
    never depends on ``DEBUG``. A repeated ``X-Webhook-Id`` (Stream retries with the same id) is
    answered 200 without being dispatched again, unless the first attempt failed. Hooks:
    ``get_api_key``, ``get_api_secret``, ``send_event``.
    """

    login_required = False
    csrf_protect = False
    http_method_names = ["post", "head", "options"]

    #: Seconds a delivery counts as being processed: a retry arriving meanwhile gets a 503.
    claim_timeout: ClassVar[int] = 60

    def get_api_key(self) -> str:
        return str(get_setting("API_KEY"))

    def get_api_secret(self) -> str:
        return str(get_setting("API_SECRET"))

    def head(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Answered so that uptime probes and URL checks see the endpoint is there."""
        return HttpResponse(status=200)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        event = self.verified_event(request)
        key = self.seen_key(event.webhook_id)
        if key and not self.claim(key):
            return self.json_response({"ok": True, "duplicate": True})
        try:
            self.send_event(event)
        except Exception:
            if key:  # forget the claim, so that Stream's retry of this delivery is processed
                self.cache.delete(key)
            raise
        if key:
            self.cache.set(key, "done", timeout=get_setting("WEBHOOK_ID_TTL"))
        return self.json_response({"ok": True})

    def send_event(self, event: StreamEvent) -> None:
        """Send ``stream_event``; a receiver that raises makes a 500, so that Stream retries."""
        stream_event.send(sender=type(self), event=event, request=self.request)

    def verified_event(self, request: HttpRequest) -> StreamEvent:
        """The request's event, or a 401 / 400 / 413 JSON error before anything is dispatched."""
        api_key = self.get_api_key()
        sent_key = request.headers.get("X-Api-Key", "")
        if not api_key or not constant_time_compare(sent_key, api_key):
            message = "The X-Api-Key is not this app's key."
            raise webhooks.InvalidSignature(message, code="invalid_api_key")
        return webhooks.verify_and_parse(
            self.read_body(request),
            signature=request.headers.get("X-Signature", ""),
            secret=self.get_api_secret(),
            max_bytes=get_setting("WEBHOOK_MAX_BYTES"),
            webhook_id=request.headers.get("X-Webhook-Id", ""),
            attempt=_positive_int(request.headers.get("X-Webhook-Attempt", "")),
        )

    def read_body(self, request: HttpRequest) -> bytes:
        """The raw body, refused unread when its declared length is over the limit."""
        max_bytes = get_setting("WEBHOOK_MAX_BYTES")
        if _positive_int(request.META.get("CONTENT_LENGTH") or "", default=0) > max_bytes:
            raise webhooks.WebhookTooLarge(f"The body is larger than {max_bytes} bytes.")
        try:
            return request.body
        except RequestDataTooBig:  # DATA_UPLOAD_MAX_MEMORY_SIZE is smaller than our own limit
            raise webhooks.WebhookTooLarge("The body is too large.") from None

    # Remembering deliveries: a claim while receivers run, "done" once they succeeded.

    @property
    def cache(self) -> BaseCache:
        return caches[get_setting("CACHE")]

    def seen_key(self, webhook_id: str) -> str:
        if not webhook_id:
            return ""
        return "streaminbox:webhook:" + hashlib.sha256(webhook_id.encode()).hexdigest()

    def claim(self, key: str) -> bool:
        """Whether to process this delivery: not done before, and not being processed right now."""
        if self.cache.add(key, "processing", timeout=self.claim_timeout):
            return True
        if self.cache.get(key) == "done":
            return False
        raise APIError(
            "This delivery is being processed; retry later.", code="in_progress", status=503
        )


def _positive_int(value: str, default: int = 1) -> int:
    try:
        number = int(value)
    except ValueError:
        return default
    return number if number > 0 else default
