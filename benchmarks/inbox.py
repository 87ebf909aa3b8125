"""6. Inbox: navigation to the first conversation shown, and to the first message of an opened one.

Headless Debian Chromium through Playwright, a fresh browser context (cold cache) per run, against
the benchmark site under gunicorn and the emulator with 20 ms latency. The floor is a bare page
making the same SDK calls as inbox.js with minimal DOM (``baselines.inbox_floor``). Times are read
inside the page (``performance.now()``, from navigation start), so Playwright's own round trips do
not count."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from .processes import ROOT, WSGIServer
from .report import Row
from .runner import Run
from .token_endpoint import logged_in_headers

STATIC = ROOT / "django_streaminbox" / "static" / "streaminbox"
SDK_BUNDLE = ROOT / "build" / "sdk" / "stream-chat.js"
CHROMIUM = "/usr/bin/chromium"

PAGES = {
    "app": ("/messages/", ".streaminbox-item-button", ".streaminbox-message"),
    "floor": ("/_bench/inbox-floor/", ".floor-item button", ".floor-message"),
}

#: Installed before any page script: notes when each selector first matches the DOM (a
#: MutationObserver fires right after the change) and when that change has been painted (the first
#: task after the next animation frame), so layout and paint count on both sides of a comparison.
WATCH = """([list, message]) => {
  const bench = (window.__bench = {});
  const note = (name) => {
    bench[name] = performance.now();
    requestAnimationFrame(() => setTimeout(() => { bench[name + 'Painted'] = performance.now(); }));
  };
  new MutationObserver(() => {
    if (!bench.list && document.querySelector(list)) note('list');
    if (!bench.message && document.querySelector(message)) note('message');
  }).observe(document, { childList: true, subtree: true });
}"""
MARKS = (
    "first_conversation_ms",
    "first_conversation_dom_ms",
    "first_message_ms",
    "first_message_dom_ms",
)
CLICK = """sel => { const t = performance.now(); document.querySelector(sel).click(); return t; }"""


def gzipped(paths: list[Path]) -> int:
    """Bytes on the wire with gzip at level 6 (nginx's and most CDNs' default)."""
    return sum(len(gzip.compress(path.read_bytes(), compresslevel=6)) for path in paths)


def seed(conversations: int) -> Any:
    """A user with ``conversations`` direct channels, each with one message from the other side."""
    from django_streaminbox.channels import direct_channel_id
    from django_streaminbox.client import get_client
    from django_streaminbox.sync import sync_users
    from django_streaminbox.users import stream_user_id

    User = get_user_model()
    me = User.objects.create_user("inbox-bench", first_name="Inbox", last_name="Reader")
    others = [
        User.objects.create_user(f"inbox-peer-{i}", first_name="Peer", last_name=f"{i:02d}")
        for i in range(conversations)
    ]
    sync_users([me, *others])
    client = get_client()
    for other in others:
        members = [stream_user_id(me), stream_user_id(other)]
        channel = client.channel("messaging", direct_channel_id(*members), {"members": members})
        channel.create(members[1])
        channel.send_message(
            {"text": f"Hello from {other.first_name} {other.last_name}"}, members[1]
        )
    return me


def measure(context: Any, url: str, list_selector: str, message_selector: str) -> dict[str, float]:
    """Milliseconds from navigation to the first conversation, and from a click on it to its first
    message: in the DOM, and painted."""
    selectors = json.dumps([list_selector, message_selector])
    context.add_init_script(f"({WATCH})({selectors});")
    page = context.new_page()
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__bench && window.__bench.listPainted", timeout=30_000)
    clicked: float = page.evaluate(CLICK, list_selector)
    page.wait_for_function("() => window.__bench.messagePainted", timeout=30_000)
    marks: dict[str, float] = page.evaluate("window.__bench")
    return {
        "first_conversation_ms": marks["listPainted"],
        "first_conversation_dom_ms": marks["list"],
        "first_message_ms": marks["messagePainted"] - clicked,
        "first_message_dom_ms": marks["message"] - clicked,
    }


def run(bench: Run) -> None:
    from playwright.sync_api import sync_playwright

    sizes = bench.sizes
    bench.emulator.clear_faults()
    me = seed(sizes.inbox_conversations)
    cookie = logged_in_headers(me)["Cookie"].split(";")[0].split("=", 1)[1]
    bench.latency()
    env = {key: value for key, value in os.environ.items() if key.startswith("BENCH_")}
    results: dict[str, Any] = {name: {key: [] for key in MARKS} for name in PAGES}
    with WSGIServer(env) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        try:
            for _ in range(sizes.inbox_runs):
                for name, (path, list_selector, message_selector) in PAGES.items():
                    context = browser.new_context()
                    context.add_cookies(
                        [
                            {"name": "sessionid", "value": cookie, "url": server.url},
                        ]
                    )
                    marks = measure(context, server.url + path, list_selector, message_selector)
                    for key, value in marks.items():
                        results[name][key].append(value)
                    context.close()
        finally:
            browser.close()
    for name in PAGES:
        for key in MARKS:
            results[name][key + "_best"] = min(results[name][key])
    ours = sorted(STATIC.glob("*.js")) + sorted(STATIC.glob("*.css"))
    results["bytes"] = {
        "ours_gzip": gzipped(ours),
        "ours_files": [p.name for p in ours],
        "ours_raw": sum(p.stat().st_size for p in ours),
        "sdk_gzip": gzipped([SDK_BUNDLE]),
        "sdk_raw": SDK_BUNDLE.stat().st_size,
    }
    app, floor = results["app"], results["floor"]
    count = sizes.inbox_conversations
    bench.add(
        Row(
            "Inbox",
            f"navigation -> first conversation painted ({count} conversations)",
            app["first_conversation_ms_best"],
            "ms",
            "bare SDK page",
            floor["first_conversation_ms_best"],
        )
    )
    bench.add(
        Row(
            "Inbox",
            "click -> first message painted",
            app["first_message_ms_best"],
            "ms",
            "bare SDK page",
            floor["first_message_ms_best"],
        )
    )
    bench.add(
        Row(
            "Inbox",
            "our JS + CSS, gzipped",
            results["bytes"]["ours_gzip"],
            "B",
            "SDK bundle, gzipped",
            results["bytes"]["sdk_gzip"],
        )
    )
    bench.log(
        f"  inbox first conversation {app['first_conversation_ms_best']:.0f} ms "
        f"(floor {floor['first_conversation_ms_best']:.0f} ms), first message "
        f"{app['first_message_ms_best']:.1f} ms"
    )
    bench.details["inbox"] = results
