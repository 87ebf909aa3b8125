"""The example site in a real browser, as ``make demo`` runs it: on the emulator, the offline SDK.

Here the site's environment has no ``STREAMINBOX_API_KEY``, so its settings take the emulator
branch: the fixed demo credentials, the emulator at ``STREAMINBOX_BASE_URL`` and the offline bundle
``build/sdk/stream-chat.js`` (``make sdk``) as the JS SDK. A person logs in, reads the seeded
conversations, and starts a new one from a profile's "Message" button.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from django_streaminbox.emulator import Emulator
from tests.newcomer.support import background, clean_env, free_port, wait_for_http

from .test_example_project import EXAMPLE, manage

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SETTINGS = (EXAMPLE / "artist_suite" / "settings.py").read_text()
DEMO_KEY = re.search(r'^DEMO_API_KEY = "([^"]+)"', SETTINGS, re.MULTILINE).group(1)  # type: ignore[union-attr]
DEMO_SECRET = re.search(r'^DEMO_API_SECRET = "([^"]+)"', SETTINGS, re.MULTILINE).group(1)  # type: ignore[union-attr]
SDK_BUNDLE = EXAMPLE.parent / "build" / "sdk" / "stream-chat.js"


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not SDK_BUNDLE.exists():
        pytest.fail(f"{SDK_BUNDLE} is missing: run `make sdk`")
    tmp = tmp_path_factory.mktemp("demo-site")
    with Emulator(api_key=DEMO_KEY, api_secret=DEMO_SECRET, port=0) as emulator:
        env = clean_env(
            PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
            DEMO_DATABASE=str(tmp / "db.sqlite3"),
            STREAMINBOX_BASE_URL=emulator.url,
        )
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "seed_demo", "--quiet")
        port = free_port()
        command = [sys.executable, str(EXAMPLE / "manage.py"), "runserver", "--noreload"]
        with background([*command, f"127.0.0.1:{port}"], EXAMPLE, env, tmp / "site.log") as site:
            wait_for_http(f"http://127.0.0.1:{port}/", site, 60, tmp / "site.log")
            yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def nova(browser: Browser, demo_site: str) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{demo_site}/login/")
    page.fill("input[name=username]", "nova")
    page.fill("input[name=password]", "nova-demo")
    page.click("form button[type=submit]")
    expect(page).to_have_url(f"{demo_site}/")
    yield page
    context.close()
    assert not errors, errors


def test_the_seeded_conversations_and_the_badge(nova: Page, demo_site: str) -> None:
    nova.goto(f"{demo_site}/messages/")
    inbox = nova.locator("[data-streaminbox=inbox]")
    for name in ("Marcus Hale", "Iris Okafor", "Theo Lindqvist"):
        expect(inbox.get_by_text(name)).to_be_visible(timeout=15_000)
    expect(nova.locator("nav .nav-messages")).to_contain_text("4")  # 2 + 1 + 1 unread
    inbox.get_by_text("Marcus Hale").click()
    pane = inbox.locator(".streaminbox-pane")
    expect(pane.get_by_text("Also: the label wants the album artwork by Friday.")).to_be_visible()
    expect(pane.get_by_text("Amazing! Do we have a support act yet?")).to_be_visible()
    expect(nova.locator("nav .nav-messages")).to_contain_text("2")  # Marcus' two are read now
    nova.goto(f"{demo_site}/people/")
    nova.locator("nav .nav-messages").click()
    expect(inbox.locator(".streaminbox-pane")).to_contain_text("Choose a conversation")
    expect(inbox.locator(".streaminbox-pane")).not_to_contain_text("null")


def test_a_new_conversation_from_a_profile(nova: Page, demo_site: str) -> None:
    nova.goto(f"{demo_site}/people/sam/")
    nova.locator(".profile").get_by_role("link", name="Message").click()
    inbox = nova.locator("[data-streaminbox=inbox]")
    composer = inbox.get_by_placeholder("Write a message")
    expect(composer).to_be_visible(timeout=15_000)
    expect(inbox.locator(".streaminbox-pane-title")).to_have_text("Sam Ortega")
    composer.fill("Sam, can you master the single by Monday?")
    composer.press("Enter")
    expect(inbox.locator(".streaminbox-pane")).to_contain_text("master the single by Monday")
