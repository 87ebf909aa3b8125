"""Browser tests: Debian's Chromium under pytest-playwright, against live_server and the emulator.

Playwright's sync API keeps an event loop running in the main thread while it is started, so
Django's async-safety check has to be told that the ORM calls made from the test body are fine, and
``asyncio.run()`` elsewhere in the suite would fail. So Playwright and the one browser shared by
these tests live for this package only (pytest-playwright's own fixtures are session-wide), and the
environment variable is set only meanwhile. Each user gets a browser context of their own (their own
cookies), logged in by session cookie.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Browser, BrowserType, Page, Playwright, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SDK_DIR = ROOT / "build" / "sdk"
#: Where test_screenshots writes its pictures: a git-ignored folder, so that a test run leaves the
#: work tree clean. ``make screenshots`` points it at docs/screenshots to refresh the README's.
SCREENSHOTS = Path(
    os.environ.get("STREAMINBOX_SCREENSHOTS", ROOT / "tests" / "artifacts" / "screenshots")
)
CHROMIUM = "/usr/bin/chromium"

expect.set_options(timeout=15_000)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    browser_type: BrowserType = getattr(playwright, browser_name)
    return browser_type


@pytest.fixture(scope="package")
def launch_browser(
    browser_type_launch_args: dict[str, Any], browser_type: BrowserType
) -> Callable[..., Browser]:
    def launch(**kwargs: Any) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium`")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def site(settings: Any, stream_emulator: Any, live_server: Any, transactional_db: None) -> Any:
    """The test site: its own layout and pages, and the Stream SDK bundle as a static file."""
    if not (SDK_DIR / "stream-chat.js").exists():
        pytest.fail("build/sdk/stream-chat.js is missing: run `make sdk`")
    settings.ROOT_URLCONF = "tests.browser.urls"
    settings.TEMPLATES = [
        {**django_settings.TEMPLATES[0], "DIRS": [Path(__file__).parent / "templates"]}
    ]
    settings.STATICFILES_DIRS = [("sdk", SDK_DIR)]
    settings.STREAMINBOX_JS_SDK_URL = "sdk/stream-chat.js"
    settings.STREAMINBOX_BASE_TEMPLATE = "site/base.html"
    settings.STREAMINBOX_BASE_BLOCK = "main"
    return live_server


@pytest.fixture
def make_user(transactional_db: None) -> Callable[..., Any]:
    def make(username: str, **fields: Any) -> Any:
        return get_user_model().objects.create_user(username, password="pw", **fields)

    return make


@pytest.fixture
def open_as(browser: Browser, site: Any) -> Iterator[Callable[..., Page]]:
    """``open_as(user, path)``: a page in a fresh browser context, logged in as ``user``.

    Any uncaught error or unhandled promise rejection in one of these pages fails the test.
    """
    contexts = []
    page_errors: list[str] = []

    def open_page(user: Any, path: str = "/messages/", **context_args: Any) -> Page:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context = browser.new_context(
            **{"viewport": {"width": 1000, "height": 680}, **context_args}
        )
        contexts.append(context)
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site.url}])
        page = context.new_page()
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        page.on("pageerror", lambda error: page_errors.append(f"{error.name}: {error.message}"))
        page.streaminbox_sockets = sockets  # type: ignore[attr-defined]  # for the tests to count
        page.goto(site.url + path)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not page_errors, page_errors


def inbox_ready(page: Page) -> None:
    expect(page.locator('[data-streaminbox="inbox"]')).to_have_attribute(
        "data-streaminbox-ready", "true"
    )
