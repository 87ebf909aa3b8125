"""Hostile input on every endpoint (Hypothesis): arbitrary methods, bodies, content types, query
strings and header values. API endpoints answer 4xx JSON, never a 500 or an HTML page; nothing
changes in Stream or the database unless the request was a valid one; the secret never shows.

Examples per test come from the Hypothesis profile in conftest (``ci`` by default, bounded;
``HYPOTHESIS_PROFILE=thorough`` for a deeper local run).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from django_streaminbox.channels import direct_channel_id
from django_streaminbox.signals import stream_event
from tests.helpers import API

from .conftest import make_user

pytestmark = pytest.mark.django_db

API_PATHS = ["/messages/token/", "/messages/channel/", "/messages/users/", "/messages/webhook/"]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "text/plain",
    "application/xml",
    "",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
user_ids = st.one_of(
    st.text(max_size=300),
    st.integers(),
    st.sampled_from(["", "0", "-1", "1 OR 1=1", "../1", "1\x00", "null", "__all__", "*"]),
    json_values,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(
        st.sampled_from(["user_id", "members", "channel_id", "cid", "created_by", "token"]),
        user_ids,
        max_size=4,
    ).map(lambda v: json.dumps(v, default=str).encode()),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=60)
queries = st.dictionaries(
    st.sampled_from(["q", "page", "with", "channel", "user_id", "api_key"]) | st.text(max_size=8),
    st.text(max_size=60),
    max_size=4,
)
HEADER_NAMES = [
    "X-Signature",
    "X-Api-Key",
    "X-Webhook-Id",
    "X-Webhook-Attempt",
    "Content-Encoding",
    "Accept",
    "X-Requested-With",
    "Origin",
    "Referer",
]
headers = st.dictionaries(st.sampled_from(HEADER_NAMES), header_text, max_size=4)


def database_snapshot() -> list[Any]:
    model = get_user_model()
    return list(model._default_manager.order_by("pk").values_list())


def stream_writes(emulator: Any) -> list[tuple[str, str]]:
    """Calls that change Stream (queries excluded)."""
    reads = {("POST", "/channels"), ("GET", "/users")}
    return [
        (r["method"], r["path"])
        for r in emulator.requests()
        if r["method"] != "GET" and (r["method"], r["path"]) not in reads
    ]


@pytest.fixture
def people(emulator: Any) -> dict[str, Any]:
    ada = make_user("ada", full_name="Ada Lovelace")
    grace = make_user("grace", full_name="Grace Hopper")
    make_user("eve", full_name="Eve Inactive", is_active=False)
    emulator.clear_requests()
    return {"ada": ada, "grace": grace}


@pytest.fixture
def received() -> Any:
    events: list[Any] = []

    def receive(sender: object, event: Any, **kwargs: Any) -> None:
        events.append(event)

    stream_event.connect(receive, dispatch_uid="tests.resilience.hostile")
    yield events
    stream_event.disconnect(dispatch_uid="tests.resilience.hostile")


def check_api_answer(response: Any, method: str) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    secret = django_settings.STREAMINBOX_API_SECRET
    assert secret.encode() not in response.content
    assert all(secret not in str(value) for value in response.headers.values())
    if method == "HEAD" or response.status_code < 400:
        return
    assert response["Content-Type"] == "application/json", response.content[:200]
    error = json.loads(response.content)["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)


@given(
    path=st.sampled_from(API_PATHS),
    method=st.sampled_from(METHODS),
    body=bodies,
    content_type=st.sampled_from(CONTENT_TYPES) | header_text,
    query=queries,
    extra=headers,
    logged_in=st.booleans(),
    with_csrf=st.booleans(),
)
def test_anything_sent_to_an_api_endpoint_gets_a_clear_answer(
    people: dict[str, Any],
    emulator: Any,
    caplog: Any,
    path: str,
    method: str,
    body: bytes,
    content_type: str,
    query: dict[str, str],
    extra: dict[str, str],
    logged_in: bool,
    with_csrf: bool,
) -> None:
    browser = API(people["ada"] if logged_in else None)
    if with_csrf:
        extra = {**extra, "X-CSRFToken": browser.csrf}
    before = database_snapshot()
    emulator.clear_requests()
    url = f"{path}?{urlencode(query)}" if query else path
    with caplog.at_level(logging.DEBUG):
        response = browser.client.generic(
            method, url, data=body, content_type=content_type, headers=extra
        )
    check_api_answer(response, method)
    secret = django_settings.STREAMINBOX_API_SECRET
    assert all(secret not in record.getMessage() for record in caplog.records)
    if response.status_code >= 400:
        assert stream_writes(emulator) == [], "a refused request changed Stream"
        assert database_snapshot() == before, "a refused request changed the database"
    if path == "/messages/channel/" and method == "POST" and response.status_code == 200:
        members = set(json.loads(response.content)["members"])
        assert members == {str(people["ada"].pk), str(people["grace"].pk)}


@given(user_id=user_ids, noise=st.dictionaries(st.text(max_size=10), json_values, max_size=3))
def test_the_channel_endpoint_only_ever_makes_the_requester_and_one_active_other(
    people: dict[str, Any], emulator: Any, user_id: Any, noise: dict[str, Any]
) -> None:
    ada, grace = people["ada"], people["grace"]
    browser = API(ada)
    emulator.clear_requests()
    response = browser.post(
        "/messages/channel/", {**noise, "user_id": user_id, "members": ["eve", "mallory"]}
    )
    check_api_answer(response, "POST")
    if response.status_code == 200:
        answer = json.loads(response.content)
        assert set(answer["members"]) == {str(ada.pk), str(grace.pk)}
        assert answer["channel_id"] == direct_channel_id(str(ada.pk), str(grace.pk))
    else:
        assert stream_writes(emulator) == []


@given(body=bodies, signed=st.booleans(), extra=headers, gzip_header=st.booleans())
def test_the_webhook_endpoint_refuses_unsigned_input_and_survives_signed_garbage(
    people: dict[str, Any],
    received: list[Any],
    body: bytes,
    signed: bool,
    extra: dict[str, str],
    gzip_header: bool,
) -> None:
    secret = django_settings.STREAMINBOX_API_SECRET.encode()
    sent = {**extra, "X-Api-Key": django_settings.STREAMINBOX_API_KEY}
    if signed:
        sent["X-Signature"] = hmac.new(secret, body, hashlib.sha256).hexdigest()
    if gzip_header:
        sent["Content-Encoding"] = "gzip"
    received.clear()
    browser = API()
    response = browser.client.post(
        "/messages/webhook/", body, content_type="application/json", headers=sent
    )
    check_api_answer(response, "POST")
    genuine = signed and hmac.compare_digest(
        sent["X-Signature"], hmac.new(secret, body, hashlib.sha256).hexdigest()
    )
    if not genuine:
        assert response.status_code in (400, 401, 413), response.content
        assert received == [], "an unverified webhook reached the receivers"


@given(query=queries, extra=headers)
def test_the_inbox_page_takes_any_query_string(
    people: dict[str, Any], query: dict[str, str], extra: dict[str, str]
) -> None:
    browser = API(people["ada"])
    url = f"/messages/?{urlencode(query)}"
    response = browser.client.get(url, headers=extra)
    assert response.status_code in (200, 400), response.status_code
    assert django_settings.STREAMINBOX_API_SECRET.encode() not in response.content
    for value in query.values():
        if value and value not in ("ada", "grace") and len(value) > 3 and "<" in value:
            assert value.encode() not in response.content, "raw user input in the page"


def test_the_database_is_a_real_one() -> None:
    """The snapshots above compare rows read back from SQLite, not objects held in memory."""
    assert connection.vendor == "sqlite"


@pytest.mark.parametrize("path", ["/messages/token/", "/messages/channel/"])
def test_multipart_without_a_boundary_is_a_400_not_a_500(people: dict[str, Any], path: str) -> None:
    """Found by the test above: Django's multipart parser raised through the CSRF check."""
    browser = API(people["ada"])
    response = browser.client.post(path, b"\x00", content_type="multipart/form-data")
    assert response.status_code == 400
    assert json.loads(response.content)["error"]["code"] == "bad_request"
