"""The JSON-API base every endpoint shares: each failure is a JSON error with the right status."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from django_streaminbox.exceptions import StreamRejected, StreamUnavailable
from django_streaminbox.views import StreamInboxAPIView


class Raising(StreamInboxAPIView):
    login_required = False
    error: Exception = RuntimeError("boom")

    def get(self, request: HttpRequest) -> HttpResponse:
        raise self.error

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.json_response({"payload": self.get_payload()})


def call(error: Exception) -> tuple[int, dict[str, Any], Any]:
    request = RequestFactory().get("/x")
    response = Raising.as_view(error=error)(request)
    return response.status_code, json.loads(response.content)["error"], response


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (Http404(), 404, "not_found"),
        (PermissionDenied(), 403, "forbidden"),
        (SuspiciousOperation(), 400, "bad_request"),
        (StreamRejected("no", status=400), 502, "stream_error"),
        (StreamUnavailable("down", retry_after=7), 503, "stream_unavailable"),
    ],
)
def test_exceptions_become_json_errors(error: Exception, status: int, code: str) -> None:
    got_status, body, response = call(error)
    assert (got_status, body["code"]) == (status, code)
    assert body["message"]
    if status == 503:
        assert response["Retry-After"] == "7"


def test_a_bug_is_a_json_500_and_still_reported(caplog: Any) -> None:
    reported: list[Any] = []

    def receiver(**kwargs: Any) -> None:
        reported.append(kwargs["request"])

    got_request_exception.connect(receiver)
    try:
        with caplog.at_level(logging.ERROR, logger="django_streaminbox"):
            status, body, _ = call(RuntimeError("boom"))
    finally:
        got_request_exception.disconnect(receiver)
    assert (status, body["code"]) == (500, "server_error")
    assert "boom" not in body["message"], "no internals in the answer"
    assert "boom" in caplog.text
    assert len(reported) == 1


def test_form_payload() -> None:
    request = RequestFactory().post("/x", {"a": "1"})
    request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
    response = Raising.as_view()(request)
    assert json.loads(response.content) == {"payload": {"a": "1"}}


def test_no_cache_headers_on_every_answer() -> None:
    _, _, response = call(Http404())
    assert "no-store" in response["Cache-Control"]


def test_login_required_middleware_does_not_redirect_api_calls(settings: Any) -> None:
    middleware = "django.contrib.auth.middleware.LoginRequiredMiddleware"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, middleware]
    response = Client().post("/messages/token/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
