"""The people directory: whom the requester may message, searchable and paginated."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from django_streaminbox.views import UserDirectoryView

from .conftest import API, CUSTOM_USER, create_user

pytestmark = pytest.mark.django_db

URL = reverse("streaminbox:users")


def names(response: Any) -> list[str]:
    return [r["name"] for r in response.json()["results"]]


def test_lists_other_active_users_without_their_email(emulator: Any) -> None:
    me = create_user("me", full_name="Me Myself")
    ada = create_user("ada", full_name="Ada Lovelace")
    create_user("gone", full_name="Gone Away", is_active=False)
    response = API(me).get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "results": [{"id": str(ada.pk), "name": "Ada Lovelace", "image": None}],
        "next": None,
    }
    assert "@" not in response.content.decode()
    assert emulator.requests() == [], "the directory is the site's own data"


def test_search_matches_username_and_name(emulator: Any) -> None:
    me = create_user("me")
    create_user("ada", full_name="Ada Lovelace")
    create_user("grace", full_name="Grace Hopper")
    create_user("alan", full_name="Alan Turing")
    api = API(me)
    assert names(api.get(URL, {"q": "hopper"})) == ["Grace Hopper"]
    assert names(api.get(URL, {"q": "ada love"})) == ["Ada Lovelace"], "every word must match"
    assert names(api.get(URL, {"q": "GRACE"})) == ["Grace Hopper"]
    assert names(api.get(URL, {"q": "zzz"})) == []
    assert names(api.get(URL, {"q": "ada ada ada ada ada zzz"})) == ["Ada Lovelace"], "5 words"
    if CUSTOM_USER:
        assert names(api.get(URL, {"q": "grace@example.com"})) == [], "emails are not searched"
    else:
        create_user("jdoe")
        assert names(api.get(URL, {"q": "jdo"})) == ["jdoe"], "no name: the username is shown"


def test_pages_and_next_link(emulator: Any) -> None:
    me = create_user("me")
    for number in range(25):
        create_user(f"member{number:02}", full_name=f"Member {number:02}")
    api = API(me)
    first = api.get(URL, {"q": "member"}).json()
    assert len(first["results"]) == 20
    assert first["next"] == f"{URL}?q=member&page=2"
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(seen)) == 25
    assert api.get(URL, {"page": "9"}).json() == {"results": [], "next": None}
    unfiltered = api.get(URL).json()
    assert unfiltered["next"] == f"{URL}?page=2"


@pytest.mark.parametrize("page", ["0", "-1", "two", ""])
def test_bad_page_is_400(emulator: Any, page: str) -> None:
    response = API(create_user()).get(URL, {"page": page})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_page"


def test_anonymous_is_401(emulator: Any) -> None:
    assert API().get(URL).status_code == 401


def only_named_ada(sender: Any, recipient: Any) -> bool:
    return "Ada" in (recipient.get_full_name() or "")


def test_only_people_the_requester_may_message(emulator: Any, settings: Any) -> None:
    settings.STREAMINBOX_CAN_MESSAGE = "tests.core.test_directory_view.only_named_ada"
    me = create_user("me")
    create_user("ada", full_name="Ada Lovelace")
    create_user("grace", full_name="Grace Hopper")
    assert names(API(me).get(URL)) == ["Ada Lovelace"]


def with_image(user: Any) -> dict[str, Any]:
    return {"name": f"Member {user.pk}", "image": f"https://img.example/{user.pk}.png"}


def test_user_data_setting_is_what_the_directory_shows(emulator: Any, settings: Any) -> None:
    settings.STREAMINBOX_USER_DATA = "tests.core.test_directory_view.with_image"
    me, other = create_user("me"), create_user("other")
    [result] = API(me).get(URL).json()["results"]
    assert result == {
        "id": str(other.pk),
        "name": f"Member {other.pk}",
        "image": f"https://img.example/{other.pk}.png",
    }


class StaffDirectory(UserDirectoryView):
    paginate_by = 2

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(is_staff=True)

    def serialize_user(self, user: Any) -> dict[str, Any]:
        return {**super().serialize_user(user), "staff": True}


def test_hooks_can_be_overridden(emulator: Any, rf: Any) -> None:
    me = create_user("me")
    staff = [create_user(f"staff{n}", full_name=f"Staff {n}", is_staff=True) for n in range(3)]
    create_user("public", full_name="Public")
    request = rf.get(URL)
    request.user = me
    body = json.loads(StaffDirectory.as_view()(request).content)
    assert [r["id"] for r in body["results"]] == [str(u.pk) for u in staff[:2]]
    assert all(r["staff"] for r in body["results"])
    assert body["next"] == f"{URL}?page=2"


class UsernameOnlyDirectory(UserDirectoryView):
    search_fields = ("email",) if CUSTOM_USER else ("username",)


def test_search_fields_attribute(emulator: Any, rf: Any) -> None:
    me = create_user("me")
    create_user("zed", full_name="Ada Zed")
    request = rf.get(URL, {"q": "ada"})
    request.user = me
    body = json.loads(UsernameOnlyDirectory.as_view()(request).content)
    assert body["results"] == [], "the name is not searched any more"
    request = rf.get(URL, {"q": "zed"})
    request.user = me
    assert len(json.loads(UsernameOnlyDirectory.as_view()(request).content)["results"]) == 1
