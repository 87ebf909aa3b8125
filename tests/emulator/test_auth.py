"""Authentication as Stream does it: API key, server and user JWTs, Stream's codes 2, 5, 40-43."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import jwt
import pytest
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from django_streaminbox.emulator import Emulator

from .conftest import API, assert_stream_error

EVERYONE = {"payload": '{"filter_conditions": {}}'}


def test_wrong_secret_is_401_code_43(stream_emulator: Emulator) -> None:
    wrong = StreamChat(stream_emulator.api_key, "x" * 40, base_url=stream_emulator.url)
    with pytest.raises(StreamAPIException) as caught:
        wrong.upsert_user({"id": "alice"})
    assert caught.value.status_code == 401
    assert caught.value.error_code == 43
    assert stream_emulator.state()["users"] == []


def test_unknown_api_key_is_401_code_2(stream_emulator: Emulator) -> None:
    other = StreamChat("not-the-key", stream_emulator.api_secret, base_url=stream_emulator.url)
    with pytest.raises(StreamAPIException) as caught:
        other.query_users({"id": "alice"})
    assert (caught.value.status_code, caught.value.error_code) == (401, 2)


def test_expired_user_token_is_code_40(api: API, users: list[str]) -> None:
    token = api.token("alice", exp=int(time.time()) - 10)
    response = api.call("GET", "/users", params=EVERYONE, token=token)
    body = assert_stream_error(response, 401, 40)
    assert (
        body["message"] == 'QueryUsers failed with error: "JWTAuth error: token is expired (exp)"'
    )


def test_not_yet_valid_token_is_code_41(api: API, users: list[str]) -> None:
    token = api.token("alice", nbf=int(time.time()) + 3600)
    assert_stream_error(api.call("GET", "/users", params=EVERYONE, token=token), 401, 41)


def test_token_issued_in_the_future_is_code_42(api: API, users: list[str]) -> None:
    token = api.token("alice", iat=int(time.time()) + 3600)
    assert_stream_error(api.call("GET", "/users", params=EVERYONE, token=token), 401, 42)


def test_valid_exp_and_iat_are_accepted(api: API, users: list[str]) -> None:
    now = int(time.time())
    response = api.call(
        "GET", "/users", params=EVERYONE, token=api.token("alice", exp=now + 60, iat=now)
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "token",
    ["not-a-jwt", "a.b.c", jwt.encode({"foo": "bar"}, "s" * 40, algorithm="HS256")],
    ids=["garbage", "three-segments", "no-user-id"],
)
def test_malformed_token_is_code_5(api: API, stream_emulator: Emulator, token: str) -> None:
    if token.startswith("eyJ"):
        token = jwt.encode({"foo": "bar"}, stream_emulator.api_secret, algorithm="HS256")
    assert_stream_error(api.call("GET", "/users", params=EVERYONE, token=token), 401, 5)


def test_non_numeric_exp_is_code_5(api: API, stream_emulator: Emulator) -> None:
    token = jwt.encode(
        {"user_id": "a", "exp": "soon"}, stream_emulator.api_secret, algorithm="HS256"
    )
    assert_stream_error(api.call("GET", "/users", params=EVERYONE, token=token), 401, 5)


def test_missing_or_wrong_auth_type_is_code_5(api: API) -> None:
    body = assert_stream_error(
        api.call("GET", "/users", params=EVERYONE, headers={"stream-auth-type": "oauth"}), 401, 5
    )
    assert "stream-auth-type missing or invalid" in body["message"]


def test_missing_authorization_is_code_5(api: API, stream_emulator: Emulator) -> None:
    import requests

    response = requests.get(
        stream_emulator.url + "/users",
        params={"api_key": stream_emulator.api_key},
        headers={"stream-auth-type": "jwt"},
        timeout=5,
    )
    assert_stream_error(response, 401, 5)


def test_user_token_cannot_call_server_only_endpoints(api: API, users: list[str]) -> None:
    assert_stream_error(api.call("DELETE", "/users/bob", user="alice"), 403, 17)
    assert_stream_error(api.call("POST", "/users/bob/deactivate", {}, user="alice"), 403, 17)


def test_dev_tokens_only_when_allowed() -> None:
    header = jwt.encode({"user_id": "dev"}, "k" * 40, algorithm="HS256").rsplit(".", 1)[0]
    dev_token = header + ".devtoken"
    import requests

    def status(emulator: Emulator) -> int:
        response = requests.get(
            emulator.url + "/users",
            params={"api_key": emulator.api_key, **EVERYONE},
            headers={"Authorization": dev_token, "stream-auth-type": "jwt"},
            timeout=5,
        )
        return response.status_code

    with Emulator(api_secret="s" * 40, allow_dev_tokens=True) as lenient:
        assert status(lenient) == 200
    with Emulator(api_secret="s" * 40) as strict:
        assert status(strict) == 401


def test_anonymous_cannot_write(api: API) -> None:
    response = api.call(
        "POST", "/users", {"users": {"x": {"id": "x"}}}, headers={"stream-auth-type": "anonymous"}
    )
    assert_stream_error(response, 403, 17)


def test_revoked_user_tokens_are_code_42(api: API, chat: StreamChat, users: list[str]) -> None:
    now = int(time.time())
    old = api.token("alice", iat=now - 100)
    fresh = api.token("alice", iat=now + 1)
    without_iat = api.token("alice")
    assert api.call("GET", "/users", params=EVERYONE, token=old).status_code == 200
    response = chat.revoke_user_token("alice", datetime.fromtimestamp(now - 10, timezone.utc))
    assert response["users"]["alice"]["revoke_tokens_issued_before"]
    body = assert_stream_error(api.call("GET", "/users", params=EVERYONE, token=old), 401, 42)
    assert "revoked" in body["message"]
    assert_stream_error(api.call("GET", "/users", params=EVERYONE, token=without_iat), 401, 42)
    assert api.call("GET", "/users", params=EVERYONE, token=fresh).status_code == 200
    assert api.call("GET", "/users", params=EVERYONE, token=api.token("bob")).status_code == 200
    chat.update_user_partial({"id": "alice", "set": {"revoke_tokens_issued_before": None}})
    assert api.call("GET", "/users", params=EVERYONE, token=old).status_code == 200
    with pytest.raises(StreamAPIException):
        chat.revoke_user_token("alice", "not a date")
    own = {"users": [{"id": "alice", "set": {"revoke_tokens_issued_before": None}}]}
    assert_stream_error(api.call("PATCH", "/users", own, token=fresh), 403, 17)


def test_app_wide_revocation(api: API, chat: StreamChat, users: list[str]) -> None:
    old = api.token("bob", iat=int(time.time()) - 100)
    chat.revoke_tokens(datetime.fromtimestamp(time.time() - 10, timezone.utc))
    assert_stream_error(api.call("GET", "/users", params=EVERYONE, token=old), 401, 42)
    assert chat.get_app_settings()["app"]["revoke_tokens_issued_before"]
    assert chat.query_users({})  # server tokens are never revoked
    chat.update_app_settings(revoke_tokens_issued_before=None)
    assert api.call("GET", "/users", params=EVERYONE, token=old).status_code == 200
    with pytest.raises(StreamAPIException):
        chat.revoke_tokens("yesterday")
