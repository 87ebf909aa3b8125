"""The direct-channel endpoint: who may message whom, and one deterministic channel per pair."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.urls import reverse

from django_streaminbox.channels import direct_channel_id
from django_streaminbox.client import get_client
from django_streaminbox.views import DirectChannelView

from .conftest import API, CUSTOM_USER, calls, create_user, only_default_user, rename, upserts

pytestmark = pytest.mark.django_db

URL = reverse("streaminbox:channel")


def stream_channel(channel_type: str, channel_id: str) -> dict[str, Any]:
    state = get_client().query_channels({"type": channel_type, "id": channel_id})["channels"]
    assert len(state) == 1
    return state[0]  # type: ignore[no-any-return]


def member_ids(state: dict[str, Any]) -> set[str]:
    return {m.get("user_id") or m["user"]["id"] for m in state["members"]}


def test_creates_the_channel_with_exactly_the_two_members(emulator: Any) -> None:
    ada, grace = create_user("ada", full_name="Ada L"), create_user("grace", full_name="Grace H")
    response = API(ada).post(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 200, response.content
    body = response.json()
    pair = sorted([str(ada.pk), str(grace.pk)])
    assert body == {
        "channel_id": direct_channel_id(*pair),
        "channel_type": "messaging",
        "cid": f"messaging:{body['channel_id']}",
        "members": pair,
    }
    if not CUSTOM_USER:
        assert body["channel_id"] == f"dm-{pair[0]}-{pair[1]}", "integer ids stay readable"
    assert len(body["channel_id"]) <= 64
    state = stream_channel("messaging", body["channel_id"])
    assert member_ids(state) == set(pair)
    assert state["channel"]["created_by"]["id"] == str(ada.pk)
    users = get_client().query_users({"id": {"$in": pair}})["users"]
    assert {u["id"]: u.get("name") for u in users} == {
        str(ada.pk): "Ada L",
        str(grace.pk): "Grace H",
    }


def test_same_channel_whoever_asks_and_however_often(emulator: Any) -> None:
    ada, grace = create_user(), create_user()
    first = API(ada).post(URL, {"user_id": str(grace.pk)}).json()
    again = API(ada).post(URL, {"user_id": str(grace.pk)}).json()
    back = API(grace).post(URL, {"user_id": str(ada.pk)}).json()
    assert first == again == back
    found = get_client().query_channels({"type": "messaging"})["channels"]
    assert [c["channel"]["id"] for c in found] == [first["channel_id"]]
    assert len(upserts(emulator)) == 1, "users already in Stream are not sent again"


@only_default_user
def test_a_json_number_id_is_accepted(emulator: Any) -> None:
    ada, grace = create_user(), create_user()
    response = API(ada).post(URL, {"user_id": grace.pk})
    assert response.status_code == 200
    assert str(grace.pk) in response.json()["members"]


def test_form_post_works_too(emulator: Any) -> None:
    ada, grace = create_user(), create_user()
    response = API(ada).post_form(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 200
    assert response.json()["members"] == sorted([str(ada.pk), str(grace.pk)])


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "missing_user_id"),
        ({"user_id": ""}, "missing_user_id"),
        ({"user_id": "a|b"}, "invalid_user_id"),
        ({"user_id": "x" * 256}, "invalid_user_id"),
        ({"user_id": ["1"]}, "invalid_user_id"),
        ({"user_id": True}, "invalid_user_id"),
    ],
)
def test_missing_or_malformed_id_is_400(emulator: Any, payload: Any, code: str) -> None:
    response = API(create_user()).post(URL, payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert emulator.requests() == [], "nothing is sent to Stream"


def test_body_that_is_not_a_json_object_is_400(emulator: Any) -> None:
    api = API(create_user())
    for body in ("not json", "[1, 2]", '"x"'):
        response = api.client.post(
            URL, body, content_type="application/json", headers={"X-CSRFToken": api.csrf}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_json"


def test_unknown_and_inactive_users_are_404_alike(emulator: Any) -> None:
    ada = create_user()
    inactive = create_user(is_active=False)
    unknown = "00000000-0000-0000-0000-000000000000" if CUSTOM_USER else "999999"
    for user_id in (unknown, str(inactive.pk), "not-a-key"):
        response = API(ada).post(URL, {"user_id": user_id})
        assert response.status_code == 404, user_id
        assert response.json()["error"]["code"] == "user_not_found"
    assert emulator.requests() == []


def test_messaging_yourself_is_400(emulator: Any) -> None:
    ada = create_user()
    response = API(ada).post(URL, {"user_id": str(ada.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "self"


def refuse_all(sender: Any, recipient: Any) -> bool:
    return False


def test_can_message_setting_refuses_with_403(emulator: Any, settings: Any) -> None:
    settings.STREAMINBOX_CAN_MESSAGE = "tests.core.test_channel_view.refuse_all"
    ada, grace = create_user(), create_user()
    response = API(ada).post(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"
    assert emulator.requests() == []


def test_anonymous_is_401(emulator: Any) -> None:
    grace = create_user()
    response = API().post(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 401


def test_stream_down_is_503_with_retry_after(emulator: Any) -> None:
    ada, grace = create_user(), create_user()
    emulator.set_faults(down=True)
    response = API(ada).post(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "stream_unavailable"


def test_stream_5xx_is_503(emulator: Any) -> None:
    ada, grace = create_user(), create_user()
    emulator.set_faults(status=500)
    response = API(ada).post(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 503
    assert response["Retry-After"]


def test_stream_timeout_is_503(emulator: Any, settings: Any) -> None:
    settings.STREAMINBOX_TIMEOUT = 0.2
    ada, grace = create_user(), create_user()
    emulator.set_faults(latency_ms=1500)
    started = time.monotonic()
    response = API(ada).post(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 503
    assert time.monotonic() - started < 1.2, "the view gave up at STREAMINBOX_TIMEOUT"
    # The emulator still finishes the abandoned call (as Stream would): let it land in this test.
    deadline = time.monotonic() + 3
    while not upserts(emulator) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upserts(emulator)


def test_stream_rate_limit_is_503_until_the_reset(emulator: Any) -> None:
    ada, grace = create_user(), create_user()
    emulator.set_faults(rate_limit={"UpdateUsers": 0, "window_seconds": 30})
    response = API(ada).post(URL, {"user_id": str(grace.pk)})
    assert response.status_code == 503
    assert 1 <= int(response["Retry-After"]) <= 32


def test_a_channel_someone_else_created_first_is_put_right(emulator: Any) -> None:
    """A client with create permission could pre-create the pair's channel with itself in it."""
    ada, grace, mallory = create_user(), create_user(), create_user()
    ids = [str(u.pk) for u in (ada, grace, mallory)]
    get_client().upsert_users([{"id": i} for i in ids])
    channel_id = direct_channel_id(ids[0], ids[1])
    get_client().channel("messaging", channel_id, {"members": [ids[0], ids[2]]}).create(ids[2])
    body = API(ada).post(URL, {"user_id": ids[1]}).json()
    assert body["channel_id"] == channel_id
    assert member_ids(stream_channel("messaging", channel_id)) == {ids[0], ids[1]}


def test_channel_type_and_prefix_settings(emulator: Any, settings: Any) -> None:
    settings.STREAMINBOX_CHANNEL_TYPE = "team"
    settings.STREAMINBOX_CHANNEL_ID_PREFIX = "pm"
    ada, grace = create_user(), create_user()
    body = API(ada).post(URL, {"user_id": str(grace.pk)}).json()
    assert body["channel_type"] == "team"
    assert body["channel_id"].startswith("pm-")
    assert body["cid"] == f"team:{body['channel_id']}"


class CustomChannelView(DirectChannelView):
    def get_other_user(self, user_id: str) -> Any:
        from django.contrib.auth import get_user_model

        manager = get_user_model()._default_manager
        return manager.exclude(pk=self.request.user.pk).first()

    def can_message(self, user: Any, other: Any) -> bool:
        return bool(self.get_payload().get("allowed", True))

    def get_channel_id(self, user: Any, other: Any) -> str:
        return "custom-pair"

    def get_channel_data(self, user: Any, other: Any) -> dict[str, Any]:
        return {"topic": "booking", "members": ["ignored"]}


def test_hooks_can_be_overridden(emulator: Any, rf: Any) -> None:
    ada, grace = create_user(), create_user()

    def post(payload: dict[str, Any]) -> Any:
        request = rf.post(URL, payload, content_type="application/json")
        request.user = ada
        request._dont_enforce_csrf_checks = True
        return CustomChannelView.as_view()(request)

    assert post({"user_id": "anything", "allowed": False}).status_code == 403
    response = post({"user_id": "anything"})
    assert response.status_code == 200, response.content
    state = stream_channel("messaging", "custom-pair")
    assert state["channel"]["topic"] == "booking"
    assert member_ids(state) == {str(ada.pk), str(grace.pk)}, "members are always the pair"


def test_a_changed_name_is_sent_before_the_channel_is_made(emulator: Any) -> None:
    ada, grace = create_user(full_name="Ada L"), create_user()
    API(ada).post(URL, {"user_id": str(grace.pk)})
    rename(grace, "Grace Hopper")  # inside the test's transaction: no sync on commit here
    API(ada).post(URL, {"user_id": str(grace.pk)})
    sent = upserts(emulator)
    assert len(sent) == 2
    users = get_client().query_users({"id": str(grace.pk)})["users"]
    assert users[0]["name"] == "Grace Hopper"
    channel_id = direct_channel_id(str(ada.pk), str(grace.pk))
    assert len(calls(emulator, "POST", f"/channels/messaging/{channel_id}/query")) == 2
