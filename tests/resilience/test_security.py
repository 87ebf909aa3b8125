"""Nobody in where they do not belong: tokens only for ``request.user``, CSRF on every
state-changing endpoint, channels of exactly the pair, and the secret in no response, page, log
line or exception message, whatever Stream does."""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

import jwt
import pytest
from django.conf import settings as django_settings
from django.test import Client

from django_streaminbox import sync
from django_streaminbox.channels import direct_channel_id, get_or_create_direct_channel
from django_streaminbox.exceptions import StreamError
from tests.helpers import API

from .conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def never_allowed(sender: Any, recipient: Any) -> bool:
    return False


def test_a_token_is_only_ever_for_the_requester(emulator: Any) -> None:
    ada, grace = make_user(full_name="Ada Lovelace"), make_user(full_name="Grace Hopper")
    browser = API(ada)
    for body in ({"user_id": str(grace.pk)}, {"user": str(grace.pk), "claims": {"user_id": "1"}}):
        answer = browser.post(f"/messages/token/?user_id={grace.pk}", body).json()
        claims = jwt.decode(
            answer["token"], django_settings.STREAMINBOX_API_SECRET, algorithms=["HS256"]
        )
        assert claims["user_id"] == answer["user_id"] == str(ada.pk)
        assert claims["exp"] > claims["iat"]


@pytest.mark.parametrize("path", ["/messages/token/", "/messages/channel/"])
def test_state_changing_endpoints_need_the_csrf_token(emulator: Any, path: str) -> None:
    ada, grace = make_user(), make_user()
    emulator.clear_requests()
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    response = client.post(
        path, json.dumps({"user_id": str(grace.pk)}), content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert emulator.requests() == []


def test_the_members_and_the_id_are_never_the_clients_choice(emulator: Any) -> None:
    ada, grace, eve = make_user(), make_user(), make_user()
    body = {
        "user_id": str(grace.pk),
        "members": [str(eve.pk)],
        "channel_id": "chosen-by-client",
        "cid": "messaging:chosen-by-client",
        "created_by": str(eve.pk),
    }
    answer = API(ada).post("/messages/channel/", body).json()
    assert answer["channel_id"] == direct_channel_id(str(ada.pk), str(grace.pk))
    assert sorted(answer["members"]) == sorted([str(ada.pk), str(grace.pk)])
    paths = {r["path"] for r in emulator.requests()}
    assert not any("chosen-by-client" in path for path in paths)


def test_a_pre_existing_channel_with_an_intruder_is_put_right(emulator: Any) -> None:
    """Someone created the pair's channel first (client-side create) with a third member."""
    ada, grace, eve = make_user(), make_user(), make_user()
    sync.sync_users([ada, grace, eve])
    channel_id = direct_channel_id(str(ada.pk), str(grace.pk))
    from django_streaminbox.client import get_client

    ids = [str(ada.pk), str(grace.pk), str(eve.pk)]
    get_client().channel("messaging", channel_id, {"members": ids}).create(str(eve.pk))
    channel = get_or_create_direct_channel(ada, grace)
    state = get_client().channel("messaging", channel_id).query()
    assert {m["user_id"] for m in state["members"]} == {str(ada.pk), str(grace.pk)}
    assert channel.members == sorted([str(ada.pk), str(grace.pk)])


@pytest.mark.parametrize("case", ["yourself", "inactive", "refused", "unknown"])
def test_no_channel_with_yourself_an_inactive_user_or_a_refused_one(
    emulator: Any, settings: Any, case: str
) -> None:
    ada = make_user()
    other = {
        "yourself": ada,
        "inactive": make_user(is_active=False),
        "refused": make_user(),
        "unknown": None,
    }[case]
    if case == "refused":
        settings.STREAMINBOX_CAN_MESSAGE = f"{__name__}.never_allowed"
    emulator.clear_requests()
    user_id = str(other.pk) if other is not None else "999999"
    response = API(ada).post("/messages/channel/", {"user_id": user_id})
    assert response.status_code == {"yourself": 400, "inactive": 404, "refused": 403}.get(case, 404)
    assert "error" in response.json()
    assert emulator.requests() == [], "refused before Stream was asked anything"


@pytest.mark.parametrize(
    "fault",
    [{"down": True}, {"status": 500}, {"status": 401}, {"rate_limit": {"*": 0}}, None],
    ids=["down", "500", "401", "429", "ok"],
)
def test_the_secret_is_in_no_response_page_log_line_or_exception(
    emulator: Any, caplog: Any, settings: Any, fault: dict[str, Any] | None
) -> None:
    settings.STREAMINBOX_TIMEOUT = 0.5
    secret = django_settings.STREAMINBOX_API_SECRET
    ada, grace = make_user(full_name="Ada Lovelace"), make_user(full_name="Grace Hopper")
    if fault:
        emulator.set_faults(**fault)
    browser = API(ada)
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        for response in (
            browser.post("/messages/token/", {}),
            browser.post("/messages/channel/", {"user_id": str(grace.pk)}),
            browser.client.get("/messages/users/"),
            browser.client.get("/messages/"),
            browser.client.get(f"/messages/?with={grace.pk}"),
        ):
            seen.append(response.content.decode())
            seen.extend(f"{name}: {value}" for name, value in response.headers.items())
        make_user(full_name="Saved While Failing")  # a sync in the request, logged if it fails
        try:
            get_or_create_direct_channel(ada, grace)
        except StreamError as exc:
            seen.append(str(exc))
            seen.append("".join(traceback.format_exception(exc)))
    for record in caplog.records:
        seen.append(record.getMessage())
        if record.exc_info:
            seen.append("".join(traceback.format_exception(*record.exc_info)))
    leaks = [text[:200] for text in seen if secret in text]
    assert not leaks, leaks
