"""Racing requests against ``live_server`` (threads, loopback): one channel per pair, and the
last of racing saves is what Stream keeps."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from django_streaminbox.channels import direct_channel_id
from django_streaminbox.client import get_client
from django_streaminbox.users import stream_user_data

from .conftest import assert_nothing_lost, make_user, stream_copy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.resilience.urls")]


_open: list[requests.Session] = []


class LiveBrowser:
    """A logged-in browser over real HTTP: session and csrftoken cookies, CSRF header."""

    def __init__(self, base_url: str, user: AbstractBaseUser) -> None:
        client = Client()
        client.force_login(user)
        self.base_url = base_url
        # Django's test server listens with a backlog of 10: a burst of 50 connects overflows it
        # and the kernel resets some. Browsers retry those; so does this (both POSTs here are
        # idempotent, which is part of what the tests check).
        self.session = requests.Session()
        _open.append(self.session)
        retry = Retry(total=5, connect=5, read=5, allowed_methods=None, backoff_factor=0.05)
        self.session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=50))
        self.cookies = {
            "sessionid": client.cookies["sessionid"].value,
            "csrftoken": _get_new_csrf_string(),
        }

    def post(self, path: str, data: Any) -> requests.Response:
        return self.session.post(
            self.base_url + path,
            json=data,
            cookies=self.cookies,
            # No keep-alive: each server thread ends with its response, none waits for another.
            headers={"X-CSRFToken": self.cookies["csrftoken"], "Connection": "close"},
            timeout=30,
        )


@pytest.fixture
def live(live_server: Any) -> Iterator[str]:
    yield str(live_server.url)
    while _open:  # closed keep-alive connections let the server's request threads end
        _open.pop().close()
    for thread in threading.enumerate():  # let request threads release the shared connection
        if "process_request_thread" in thread.name:
            thread.join(5)


def race(count: int, work: Any) -> list[Any]:
    """Run ``work(i)`` for ``i`` in ``range(count)`` in as many threads, released together."""
    start = threading.Barrier(count)

    def run(number: int) -> Any:
        start.wait()
        return work(number)

    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_fifty_simultaneous_channel_requests_for_one_pair_leave_one_channel(
    emulator: Any, live: str
) -> None:
    ada = make_user("ada", full_name="Ada Lovelace")
    grace = make_user("grace", full_name="Grace Hopper")
    browsers = [LiveBrowser(live, ada), LiveBrowser(live, grace)]
    url = reverse("streaminbox:channel")
    others = [str(grace.pk), str(ada.pk)]
    responses = race(50, lambda n: browsers[n % 2].post(url, {"user_id": others[n % 2]}))
    assert [r.status_code for r in responses] == [200] * 50, {r.text for r in responses}
    expected = direct_channel_id(str(ada.pk), str(grace.pk))
    assert {r.json()["channel_id"] for r in responses} == {expected}
    channels = get_client().query_channels({"members": {"$in": [str(ada.pk)]}}, limit=30)
    assert [c["channel"]["id"] for c in channels["channels"]] == [expected]
    members = {m["user_id"] for m in channels["channels"][0]["members"]}
    assert members == {str(ada.pk), str(grace.pk)}
    assert_nothing_lost(emulator)


def test_twenty_simultaneous_saves_of_one_user_leave_stream_with_the_last(
    emulator: Any, live: str
) -> None:
    user = make_user("racer", full_name="Start Name")
    browser = LiveBrowser(live, user)
    emulator.set_faults(latency_ms=15)  # long enough for the saves' Stream calls to overlap
    url = reverse("profile")
    for round_number in range(5):
        names = [f"Round{round_number} N{n}" for n in range(20)]
        responses = race(20, lambda n, names=names: browser.post(url, {"name": names[n]}))
        assert [r.status_code for r in responses] == [200] * 20
        last = stream_user_data(get_user_model()._default_manager.get(pk=user.pk))
        held = stream_copy([last["id"]])[last["id"]]
        assert held["name"] == last["name"], "Stream kept an older save than the database's last"
    assert_nothing_lost(emulator)
