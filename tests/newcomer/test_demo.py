"""``make demo`` from a clean clone: it comes up cold, it comes back warm, and Ctrl-C stops it.

The clone is of this repository's HEAD, in a temporary folder, with nothing prepared: ``make
demo`` creates the virtualenv, installs, builds the SDK bundle, migrates, seeds and starts both
servers. It is stopped with Ctrl-C (both servers must go), started again, and must serve the home
page, a profile and the inbox within 60 seconds, its seeded conversations kept, not seeded twice.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from stream_chat import StreamChat

from .support import REPO, background, clean_env, free_port, interrupt, port_is_open, wait_for_http

pytestmark = [pytest.mark.slow, pytest.mark.newcomer, pytest.mark.timeout(1500)]

COLD_START_LIMIT = 900  # a first run installs everything (from pip's and npm's caches in CI)
WARM_START_LIMIT = 60  # the README's promise: a second run starts in seconds


def settings_value(clone: Path, name: str) -> str:
    text = (clone / "example_project" / "artist_suite" / "settings.py").read_text()
    match = re.search(rf'^{name} = "([^"]+)"', text, re.MULTILINE)
    assert match, name
    return match.group(1)


def conversation_lengths(emulator_url: str, clone: Path, user_id: str) -> dict[str, int]:
    stream = StreamChat(
        api_key=settings_value(clone, "DEMO_API_KEY"),
        api_secret=settings_value(clone, "DEMO_API_SECRET"),
        base_url=emulator_url,
    )
    channels = stream.query_channels({"members": {"$in": [user_id]}}, messages={"limit": 50})
    return {c["channel"]["cid"]: len(c["messages"]) for c in channels["channels"]}


def log_in(site: str, username: str, password: str) -> requests.Session:
    browser = requests.Session()
    browser.get(f"{site}/login/", timeout=10).raise_for_status()
    answer = browser.post(
        f"{site}/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser


def test_make_demo_from_a_clean_clone() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="streaminbox-demo-"))
    try:
        clone = workdir / "clone"
        subprocess.run(
            ["git", "clone", "--quiet", str(REPO), str(clone)],
            check=True, env=clean_env(),
        )  # fmt: skip
        run_the_demo_twice(clone, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_the_demo_twice(clone: Path, workdir: Path) -> None:
    port, emulator_port = free_port(), free_port()
    site, emulator = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulator_port}"
    command = ["make", "demo", f"PORT={port}", f"EMULATOR_PORT={emulator_port}"]
    log = workdir / "demo.log"

    with background(command, clone, clean_env(), log) as demo:
        cold = wait_for_http(f"{site}/", demo, COLD_START_LIMIT, log)
        nova = log_in(site, "nova", "nova-demo")
        seeded = conversation_lengths(emulator, clone, stream_id_of(nova, site))
        assert len(seeded) >= 3 and all(seeded.values()), seeded
    assert demo.returncode is not None
    assert not port_is_open(port) and not port_is_open(emulator_port), "Ctrl-C left a server up"
    assert "nova" in log.read_text() and "nova-demo" in log.read_text(), "logins were not printed"

    started = time.monotonic()
    with background(command, clone, clean_env(), log) as demo:
        warm = wait_for_http(f"{site}/", demo, WARM_START_LIMIT, log)
        home = requests.get(f"{site}/", timeout=10)
        assert home.status_code == 200 and "The Artist Suite" in home.text
        nova = log_in(site, "nova", "nova-demo")
        profile = nova.get(f"{site}/people/marcus/", timeout=10)
        assert profile.status_code == 200 and "Marcus Hale" in profile.text
        assert "/messages/?with=" in profile.text  # the Message button
        inbox = nova.get(f"{site}/messages/", timeout=10)
        assert inbox.status_code == 200 and 'data-streaminbox="inbox"' in inbox.text
        assert "/static/sdk/stream-chat.js" in inbox.text  # the offline SDK bundle
        assert nova.get(f"{site}/static/sdk/stream-chat.js", timeout=10).status_code == 200
        elapsed = time.monotonic() - started
        assert elapsed < WARM_START_LIMIT, f"a warm start took {elapsed:.0f} s"
        print(f"make demo from a clean clone: up in {cold:.0f} s cold, {warm:.1f} s warm")
        again = conversation_lengths(emulator, clone, stream_id_of(nova, site))
        assert again == seeded, "the conversations were lost or seeded twice"
    assert interrupt(demo) is not None
    assert not port_is_open(port) and not port_is_open(emulator_port)


def stream_id_of(browser: requests.Session, site: str) -> str:
    """The logged-in user's Stream id, as the token endpoint tells the browser."""
    answer = browser.post(
        f"{site}/messages/token/",
        headers={"X-CSRFToken": browser.cookies["csrftoken"], "Referer": f"{site}/messages/"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["user_id"])
