"""The token endpoint: a locally signed token for the logged-in user, and no Stream call for a
user Stream already has."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from django.urls import reverse

from django_streaminbox.views import TokenView

from .conftest import API, create_user, login_data, stream_users, upserts

pytestmark = pytest.mark.django_db

URL = reverse("streaminbox:token")


def decode(token: str, secret: str) -> dict[str, Any]:
    return jwt.decode(token, secret, algorithms=["HS256"])


def test_token_is_for_the_logged_in_user_with_exp_and_iat(emulator: Any, settings: Any) -> None:
    user = create_user("ada", full_name="Ada Lovelace")
    before = int(time.time())
    response = API(user).post(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "api_key", "user_id", "expires_at", "base_url"}
    assert body["user_id"] == str(user.pk)
    assert body["api_key"] == settings.STREAMINBOX_API_KEY
    assert body["base_url"] == emulator.url
    claims = decode(body["token"], settings.STREAMINBOX_API_SECRET)
    assert claims["user_id"] == str(user.pk)
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 3600 == body["expires_at"]
    assert "no-store" in response["Cache-Control"]
    assert settings.STREAMINBOX_API_SECRET not in response.content.decode()


def test_token_works_against_stream(emulator: Any, settings: Any) -> None:
    """The emulator verifies tokens as Stream does: a user-authenticated call succeeds with it."""
    import requests

    user = create_user("grace")
    token = API(user).post(URL).json()["token"]
    reply = requests.get(
        f"{emulator.url}/users",
        params={
            "api_key": settings.STREAMINBOX_API_KEY,
            "payload": '{"filter_conditions": {"id": {"$in": ["x"]}}}',
        },
        headers={"Authorization": token, "stream-auth-type": "jwt"},
        timeout=5,
    )
    assert reply.status_code == 200, reply.text


def test_anonymous_gets_401_json_not_a_redirect(emulator: Any) -> None:
    response = API().post(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_authenticated"


def test_csrf_is_enforced_with_a_json_error(emulator: Any) -> None:
    api = API(create_user())
    response = api.client.post(URL)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_get_is_not_allowed(emulator: Any) -> None:
    response = API(create_user()).get(URL)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


def test_token_ttl_setting(emulator: Any, settings: Any) -> None:
    settings.STREAMINBOX_TOKEN_TTL = 120
    body = API(create_user()).post(URL).json()
    claims = decode(body["token"], settings.STREAMINBOX_API_SECRET)
    assert claims["exp"] - claims["iat"] == 120


def test_first_token_request_syncs_the_user_once(
    emulator: Any, django_capture_on_commit_callbacks: Any
) -> None:
    user = create_user("ada", full_name="Ada Lovelace")
    api = API(user)
    emulator.clear_requests()
    with django_capture_on_commit_callbacks(execute=True):
        api.post(URL)
    assert len(upserts(emulator)) == 1
    assert stream_users(str(user.pk))[str(user.pk)]["name"] == "Ada Lovelace"
    emulator.clear_requests()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert api.post(URL).status_code == 200
    assert emulator.requests() == [], "a synced user costs no Stream call"


@pytest.mark.django_db(transaction=True)
def test_login_then_token_for_a_synced_user_makes_no_stream_call(emulator: Any) -> None:
    """The proof from the issue: a login (last_login only) and a token request cost nothing."""
    user = create_user("ada", full_name="Ada Lovelace")  # committed: synced on save
    assert len(upserts(emulator)) == 1
    emulator.clear_requests()
    api = API()
    response = api.post_form("/login/", login_data(user))
    assert response.status_code == 302, "logged in"
    user.refresh_from_db()
    assert user.last_login is not None
    assert upserts(emulator) == []
    assert api.post(URL).json()["user_id"] == str(user.pk)
    assert emulator.requests() == []


def test_token_view_answers_when_stream_is_down(emulator: Any) -> None:
    """Tokens are signed locally: Stream being down does not stop logins to the chat."""
    user = create_user()
    emulator.set_faults(down=True)
    response = API(user).post(URL)
    assert response.status_code == 200
    assert response.json()["user_id"] == str(user.pk)


class CustomTokenView(TokenView):
    def get_user_id(self, user: Any) -> str:
        return f"site1-{user.pk}"

    def get_token_ttl(self) -> int:
        return 60

    def get_token_claims(self, user: Any) -> dict[str, Any]:
        return {"role": "user", "user_id": "someone-else", "exp": 1}


def test_hooks_can_be_overridden(emulator: Any, settings: Any, rf: Any) -> None:
    user = create_user()
    request = rf.post(URL)
    request.user = user
    request._dont_enforce_csrf_checks = True
    response = CustomTokenView.as_view()(request)
    body = json.loads(response.content)
    claims = decode(body["token"], settings.STREAMINBOX_API_SECRET)
    assert body["user_id"] == claims["user_id"] == f"site1-{user.pk}", "user_id always wins"
    assert claims["role"] == "user"
    assert claims["exp"] - claims["iat"] == 60, "exp always comes from the TTL"


def test_missing_credentials_answer_503_json(emulator: Any, settings: Any) -> None:
    user = create_user()
    settings.STREAMINBOX_API_SECRET = ""
    response = API(user).post(URL)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"
