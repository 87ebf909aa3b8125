"""The example site, run as a developer runs it: its own settings, its own commands, real servers.

Each test drives ``example_project/manage.py`` in a subprocess (the site has its own settings
module, not the test suite's), pointed at an emulator through the environment exactly as a real
Stream app would be: ``STREAMINBOX_API_KEY``, ``STREAMINBOX_API_SECRET``,
``STREAMINBOX_BASE_URL``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from stream_chat import StreamChat

from django_streaminbox.emulator import Emulator
from tests.newcomer.support import background, clean_env, free_port, wait_for_http

EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"
sys.path.insert(0, str(EXAMPLE))
from people.demo_data import DEMO_CONVERSATIONS, DEMO_PEOPLE  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """One emulator for the module: the site is migrated and seeded once, which takes seconds."""
    with Emulator(
        api_key="example-key", api_secret="example-secret-" + "x" * 32, port=0
    ) as running:
        yield running


@pytest.fixture(scope="module")
def site_env(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The example site's environment, on the emulator as if it were a real Stream app."""
    return clean_env(
        PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
        DEMO_DATABASE=str(tmp_path_factory.mktemp("example") / "db.sqlite3"),
        STREAMINBOX_API_KEY=emulator.api_key,
        STREAMINBOX_API_SECRET=emulator.api_secret,
        STREAMINBOX_BASE_URL=emulator.url,
    )


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "manage.py"), *args],
        env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def stream(env: dict[str, str]) -> StreamChat:
    return StreamChat(
        api_key=env["STREAMINBOX_API_KEY"],
        api_secret=env["STREAMINBOX_API_SECRET"],
        base_url=env["STREAMINBOX_BASE_URL"],
    )


def message_counts(env: dict[str, str]) -> list[int]:
    channels = stream(env).query_channels({"type": "messaging"}, messages={"limit": 50})
    return sorted(len(c["messages"]) for c in channels["channels"])


@pytest.fixture(scope="module")
def seeded(site_env: dict[str, str]) -> dict[str, str]:
    manage(site_env, "migrate", "--verbosity", "0")
    output = manage(site_env, "seed_demo")
    for person in DEMO_PEOPLE:
        assert person.username in output and person.password in output  # logins printed
    return site_env


def test_seed_demo_creates_members_and_conversations_in_stream(seeded: dict[str, str]) -> None:
    assert message_counts(seeded) == sorted(len(lines) for lines in DEMO_CONVERSATIONS)
    (iris,) = stream(seeded).query_users({"name": "Iris Okafor"})["users"]
    assert iris["profession"] == "Producer"  # STREAMINBOX_USER_DATA = "people.stream.user_data"
    assert iris["role"] == "user"  # Stream's own permission role, untouched
    assert "email" not in iris


def test_seed_demo_again_adds_nothing(seeded: dict[str, str]) -> None:
    before = message_counts(seeded)
    output = manage(seeded, "seed_demo")
    assert "0 conversations seeded" in output
    assert message_counts(seeded) == before


def test_seed_demo_fills_a_new_stream_app_for_an_existing_database(
    seeded: dict[str, str], emulator: Emulator
) -> None:
    emulator.reset()  # as if the emulator's data file were deleted, or keys changed
    manage(seeded, "seed_demo", "--quiet")
    assert message_counts(seeded) == sorted(len(lines) for lines in DEMO_CONVERSATIONS)


@pytest.fixture(scope="module")
def site(seeded: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("site")
    port = free_port()
    command = [sys.executable, str(EXAMPLE / "manage.py"), "runserver", "--noreload"]
    with background([*command, f"127.0.0.1:{port}"], EXAMPLE, seeded, tmp_path / "site.log") as p:
        wait_for_http(f"http://127.0.0.1:{port}/", p, 60, tmp_path / "site.log")
        yield f"http://127.0.0.1:{port}"


def log_in(site: str, username: str) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{site}/login/", timeout=10)
    answer = browser.post(
        f"{site}/login/",
        data={
            "username": username,
            "password": f"{username}-demo",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        timeout=10,
    )
    assert answer.url == f"{site}/", "log in did not land on the home page"
    return browser


def test_the_pages_of_the_site(site: str, site_env: dict[str, str]) -> None:
    anonymous = requests.get(f"{site}/", timeout=10)
    assert "nova-demo" in anonymous.text  # the demo logins, for visitors
    assert requests.get(f"{site}/people/", timeout=10, allow_redirects=False).status_code == 302

    nova = log_in(site, "nova")
    home = nova.get(f"{site}/", timeout=10).text
    assert "nova-demo" not in home
    assert 'href="/messages/"' in home  # the nav bar's inbox link, with the badge

    people = nova.get(f"{site}/people/", timeout=10).text
    for person in DEMO_PEOPLE:
        assert person.full_name in people
    producers = nova.get(f"{site}/people/?role=producer", timeout=10).text
    assert "Iris Okafor" in producers and "Marcus Hale" not in producers

    marcus = nova.get(f"{site}/people/marcus/", timeout=10).text
    assert "Marcus Hale" in marcus and "Artist manager" in marcus
    assert "/messages/?with=" in marcus  # the Message button
    own = nova.get(f"{site}/people/nova/", timeout=10).text
    assert "/messages/?with=" not in own  # nobody messages themself

    inbox = nova.get(f"{site}/messages/", timeout=10)
    assert inbox.status_code == 200
    assert 'data-streaminbox="inbox"' in inbox.text
    assert "The Artist Suite" in inbox.text  # inside the site's own layout
    assert site_env["STREAMINBOX_API_SECRET"] not in inbox.text

    nova.post(f"{site}/logout/", data={"csrfmiddlewaretoken": nova.cookies["csrftoken"]})
    assert nova.get(f"{site}/people/", allow_redirects=False, timeout=10).status_code == 302
