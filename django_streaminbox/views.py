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
import re
from collections.abc import Sequence
from typing import Any, ClassVar, cast
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import BaseCache, caches
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.paginator import Paginator
from django.core.signals import got_request_exception
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.views import View
from django.views.generic import TemplateView

from . import sync, webhooks
from .channels import direct_channel_id, get_or_create_direct_channel
from .client import base_url, create_token
from .conf import get_setting
from .events import StreamEvent, django_user_for
from .exceptions import (
    APIError,
    BadRequest,
    ConfigurationError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    StreamRejected,
    StreamUnavailable,
)
from .signals import stream_event
from .users import STREAM_USER_ID_RE, can_message, stream_user_data, stream_user_id

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
        if isinstance(exc, MultiPartParserError):  # e.g. multipart/form-data with no boundary
            return self.error_response(400, "bad_request", "The request body cannot be parsed.")
        if isinstance(exc, ConfigurationError):
            logger.error("django-streaminbox is not configured: %s", exc)
            return self.error_response(503, "not_configured", "Messaging is not configured.")
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


# The core endpoints: tokens, direct channels, the people directory.


class TokenView(StreamInboxAPIView):
    """``POST``: a Stream token for the logged-in user, signed here (no call to Stream).

    Answers ``{"token", "api_key", "user_id", "expires_at", "base_url"}`` (``expires_at`` in unix
    seconds). If Stream may not have the user's current data, a sync is scheduled; a user Stream
    already has costs no Stream call at all. Hooks: ``get_user_id``, ``get_token_ttl``,
    ``get_token_claims``.
    """

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = cast(AbstractBaseUser, request.user)
        user_id = self.get_user_id(user)
        token, expires_at = create_token(
            user_id, ttl=self.get_token_ttl(), claims=self.get_token_claims(user)
        )
        if sync.needs_sync(user):
            sync.schedule(user)
        return self.json_response(
            {
                "token": token,
                "api_key": get_setting("API_KEY"),
                "user_id": user_id,
                "expires_at": expires_at,
                "base_url": base_url(),
            }
        )

    def get_user_id(self, user: AbstractBaseUser) -> str:
        """The Stream id the token is for; keep it equal to what ``STREAMINBOX_USER_ID`` gives."""
        return stream_user_id(user)

    def get_token_ttl(self) -> int:
        """Seconds the token is valid (``STREAMINBOX_TOKEN_TTL``)."""
        return int(get_setting("TOKEN_TTL"))

    def get_token_claims(self, user: AbstractBaseUser) -> dict[str, Any]:
        """Extra JWT claims; ``user_id``, ``iat`` and ``exp`` are always set and always win."""
        return {}


class DirectChannelView(StreamInboxAPIView):
    """``POST {"user_id": ...}`` (JSON or form): the one-to-one channel with that user.

    400 for a missing or malformed id or for yourself, 404 for an unknown or inactive user, 403
    when ``can_message`` says no. Both users are synced (unchanged ones skipped), then the channel
    is fetched or created with exactly the two as members, created by the requester. Answers
    ``{"channel_id", "channel_type", "cid", "members"}``. Hooks: ``get_other_user``,
    ``can_message``, ``get_channel_id``, ``get_channel_data``.
    """

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = cast(AbstractBaseUser, request.user)
        other = self.get_other_user(self.requested_user_id())
        if other is None:
            raise NotFound("There is no such user.", code="user_not_found")
        if other.pk == user.pk:
            raise BadRequest("You cannot start a conversation with yourself.", code="self")
        if not self.can_message(user, other):
            raise Forbidden("You may not message this user.", code="not_allowed")
        channel = get_or_create_direct_channel(
            user,
            other,
            channel_id=self.get_channel_id(user, other),
            data=self.get_channel_data(user, other),
        )
        return self.json_response(channel.as_dict())

    def requested_user_id(self) -> str:
        value = self.get_payload().get("user_id")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or value == "":
            raise BadRequest("Say whom to message: send user_id.", code="missing_user_id")
        if not isinstance(value, str) or not STREAM_USER_ID_RE.match(value):
            raise BadRequest("user_id is not a valid user id.", code="invalid_user_id")
        return value

    def get_other_user(self, user_id: str) -> AbstractBaseUser | None:
        """The active user with this Stream id, or ``None`` (``STREAMINBOX_USER_LOOKUP``)."""
        return django_user_for(user_id)

    def can_message(self, user: AbstractBaseUser, other: AbstractBaseUser) -> bool:
        """Whether ``user`` may message ``other`` (``STREAMINBOX_CAN_MESSAGE``)."""
        return can_message(user, other)

    def get_channel_id(self, user: AbstractBaseUser, other: AbstractBaseUser) -> str:
        """The pair's channel id: the same whoever asks; see ``channels.direct_channel_id``."""
        return direct_channel_id(stream_user_id(user), stream_user_id(other))

    def get_channel_data(self, user: AbstractBaseUser, other: AbstractBaseUser) -> dict[str, Any]:
        """Custom channel data stored on creation; ``members`` is always the pair."""
        return {}


class UserDirectoryView(StreamInboxAPIView):
    """``GET ?q=&page=``: people the requester may message, as ``{"results", "next"}``.

    Each result is ``{"id", "name", "image"}`` (Stream id, name, image or ``null``), matched on
    ``search_fields`` (every word of ``q`` must match one of them). Hooks: ``get_queryset``,
    ``serialize_user``.
    """

    http_method_names = ["get", "head", "options"]
    paginate_by: ClassVar[int] = 20
    #: Fields ``q`` is matched against; ``None``: the username field (unless it is the email)
    #: and whichever of ``first_name``, ``last_name``, ``name``, ``display_name`` and
    #: ``full_name`` exist.
    search_fields: ClassVar[Sequence[str] | None] = None
    name_fields: ClassVar[tuple[str, ...]] = (
        "first_name",
        "last_name",
        "name",
        "display_name",
        "full_name",
    )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = cast(AbstractBaseUser, request.user)
        query = request.GET.get("q", "").strip()[:100]
        number = self.page_number()
        page = Paginator(self.search(self.get_queryset(), query), self.paginate_by).get_page(number)
        if page.number != number:  # past the end: an empty page, not the last one again
            return self.json_response({"results": [], "next": None})
        results = [self.serialize_user(u) for u in page.object_list if can_message(user, u)]
        next_url = None
        if page.has_next():
            params = (
                {"q": query, "page": page.next_page_number()}
                if query
                else {"page": page.next_page_number()}
            )
            next_url = f"{request.path}?{urlencode(params)}"
        return self.json_response({"results": results, "next": next_url})

    def page_number(self) -> int:
        raw = self.request.GET.get("page", "1")
        if not raw.isdigit() or int(raw) < 1:
            raise BadRequest("page must be a positive whole number.", code="invalid_page")
        return int(raw)

    def get_queryset(self) -> QuerySet[Any]:
        """Active users other than the requester, in a stable order."""
        model = get_user_model()
        queryset: QuerySet[Any] = model._default_manager.exclude(pk=self.request.user.pk)
        fields = {f.name for f in model._meta.get_fields()}
        if "is_active" in fields:
            queryset = queryset.filter(is_active=True)
        order = [f for f in self.name_fields if f in fields] or [model.USERNAME_FIELD]
        ordered: QuerySet[Any] = queryset.order_by(*order, "pk")
        return ordered

    #: At most this many words of ``q`` are matched (each one is a join of ORs).
    max_search_words: ClassVar[int] = 5

    def search(self, queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
        fields = self.get_search_fields()
        for word in query.split()[: self.max_search_words]:
            match = Q()
            for name in fields:
                match |= Q(**{f"{name}__icontains": word})
            queryset = queryset.filter(match)
        return queryset

    def get_search_fields(self) -> Sequence[str]:
        if self.search_fields is not None:
            return self.search_fields
        model = get_user_model()
        names = {f.name for f in model._meta.get_fields()}
        fields = [f for f in self.name_fields if f in names]
        # An email username is not searched: "who has this address?" is not the directory's to say.
        if getattr(model, "EMAIL_FIELD", "email") != model.USERNAME_FIELD:
            fields.insert(0, model.USERNAME_FIELD)
        return fields

    def serialize_user(self, user: AbstractBaseUser) -> dict[str, Any]:
        """One result: only what Stream itself shows of the user (never the email)."""
        data = stream_user_data(user)
        return {
            "id": data["id"],
            "name": data.get("name") or data["id"],
            "image": data.get("image"),
        }


# The inbox page (owner: the inbox engineer).

#: A channel's cid as the inbox accepts it in ``?channel=``: Stream's type and id rules.
CID_RE = re.compile(r"^[a-z0-9_-]{1,64}:[A-Za-z0-9@_!-]{1,64}$")


class InboxView(LoginRequiredMixin, TemplateView):
    """The inbox page, inside the site's own layout (``STREAMINBOX_BASE_TEMPLATE``).

    Anonymous visitors are sent to the login page. ``?with=<stream user id>`` opens (creating it if
    needed) the conversation with that user; ``?channel=<cid>`` opens that channel. Both are only
    handed to the page when well formed; whether the viewer may use them is decided by the
    channel endpoint and by Stream, as for any other request. Hooks: ``get_open_with``,
    ``get_open_channel``.
    """

    template_name = "streaminbox/inbox.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        open_with = self.get_open_with()
        context["streaminbox_with"] = open_with
        context["streaminbox_channel"] = "" if open_with else self.get_open_channel()
        return context

    def get_open_with(self) -> str:
        """The Stream user id from ``?with=``, or ``""`` when absent or malformed."""
        value = self.request.GET.get("with", "")
        return value if STREAM_USER_ID_RE.match(value) else ""

    def get_open_channel(self) -> str:
        """The cid from ``?channel=``, or ``""`` when absent or malformed."""
        value = self.request.GET.get("channel", "")
        return value if CID_RE.match(value) else ""


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
        except Exception as error:
            if key:  # forget the claim, so that Stream's retry of this delivery is processed
                self.cache.delete(key)
            # Always a 500, even for an exception that means 4xx elsewhere: Stream retries 5xx only.
            raise webhooks.ReceiverFailed(
                f"A stream_event receiver failed on {event.type}."
            ) from error
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
