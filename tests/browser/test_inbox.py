"""The inbox in a real browser: two people messaging live, paging, hostile text, expiring tokens,
Stream going away and coming back, and a strict Content-Security-Policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from django_streaminbox import sync
from django_streaminbox.channels import get_or_create_direct_channel
from django_streaminbox.client import get_client
from django_streaminbox.users import stream_user_id

from .conftest import SCREENSHOTS, inbox_ready

pytestmark = [pytest.mark.browser, pytest.mark.slow]

XSS = "<img src=x onerror=alert(1)>"
#: The same, leaving a trace a test can read even if a dialog were swallowed.
XSS_TRACE = '<img src=x onerror="window.pwned=true">'


def conversation(a: Any, b: Any) -> Any:
    """The pair's channel, created server-side the way the channel endpoint does it."""
    sync.sync_users([a, b])
    return get_or_create_direct_channel(a, b)


def send(channel: Any, sender: Any, text: str) -> None:
    stream = get_client().channel(channel.channel_type, channel.channel_id)
    stream.send_message({"text": text}, stream_user_id(sender))


def item(page: Page, cid: str) -> Any:
    return page.locator(f'.streaminbox-item[data-streaminbox-cid="{cid}"]')


def messages(page: Page) -> Any:
    return page.locator(".streaminbox-messages .streaminbox-message .streaminbox-text")


def write(page: Page, text: str) -> None:
    composer = page.get_by_role("textbox", name="Write a message")
    composer.fill(text)
    composer.press("Enter")


def test_two_people_message_each_other_live(
    open_as: Callable[..., Page], make_user: Callable[..., Any]
) -> None:
    alice = make_user("alice", first_name="Alice")
    bob = make_user("bob", first_name="Bob")
    bob_page = open_as(bob)
    inbox_ready(bob_page)
    badge = bob_page.locator('nav [data-streaminbox="badge"]')
    expect(badge).to_be_hidden()
    expect(bob_page.get_by_text("No conversations yet.")).to_be_visible()
    expect(bob_page.locator(".streaminbox-pane")).to_have_text(
        "Choose a conversation, or start a new one."
    )

    # A page of Bob's without the inbox: the nav badge alone keeps count there too.
    bob_elsewhere = bob_page.context.new_page()
    bob_elsewhere.goto(bob_page.url.replace("/messages/", f"/people/{alice.pk}/"))
    elsewhere_badge = bob_elsewhere.locator('nav [data-streaminbox="badge"]')
    expect(bob_elsewhere.locator("#profile-name")).to_have_text("Alice")

    # Alice starts from Bob's profile page: the button opens the conversation in her inbox.
    alice_page = open_as(alice, f"/people/{bob.pk}/")
    alice_page.get_by_role("link", name="Message", exact=True).click()
    expect(alice_page).to_have_url(re.compile(rf"/messages/\?with={bob.pk}$"))
    expect(alice_page.locator(".streaminbox-pane-title")).to_have_text("Bob")
    presence = alice_page.locator(".streaminbox-pane-head .streaminbox-presence")
    expect(presence).to_have_text("Online")  # Bob has his inbox open
    write(alice_page, "Hello Bob\nsecond line")
    cid = alice_page.locator(".streaminbox-pane").get_attribute("data-streaminbox-cid")
    assert cid

    # Bob's open inbox shows it, unread, and his nav badge counts it: no reload.
    bob_item = item(bob_page, cid)
    expect(bob_item).to_have_attribute("data-streaminbox-unread", "1")
    expect(bob_item.locator(".streaminbox-item-name")).to_have_text("Alice")
    expect(bob_item.locator(".streaminbox-item-preview")).to_have_text("Hello Bob\nsecond line")
    expect(badge).to_be_visible()
    expect(badge).to_have_attribute("data-streaminbox-count", "1")
    expect(badge).to_contain_text("1")
    expect(elsewhere_badge).to_have_attribute("data-streaminbox-count", "1")
    expect(elsewhere_badge).to_be_visible()

    # Bob opens it: the badges clear, and Alice sees that he has read it.
    bob_item.get_by_role("button").click()
    expect(messages(bob_page)).to_have_text(["Hello Bob\nsecond line"])
    expect(badge).to_be_hidden()
    expect(bob_item).to_have_attribute("data-streaminbox-unread", "0")
    expect(alice_page.locator("[data-streaminbox-seen]")).to_have_text("Seen")
    expect(elsewhere_badge).to_be_hidden()
    bob_elsewhere.close()

    # Bob types: Alice sees it. Then replies flow both ways.
    bob_page.get_by_role("textbox", name="Write a message").press_sequentially("Hi")
    expect(alice_page.locator(".streaminbox-typing")).to_have_text("Bob is typing…")
    bob_page.get_by_role("textbox", name="Write a message").press("Enter")
    expect(messages(alice_page)).to_have_text(["Hello Bob\nsecond line", "Hi"])
    expect(alice_page.locator('[data-streaminbox="inbox"] > [aria-live]')).to_have_text(
        "New message from Bob: Hi"
    )
    expect(alice_page.locator(".streaminbox-typing")).to_have_text("")
    write(alice_page, "How are you?")
    expect(messages(bob_page)).to_have_text(["Hello Bob\nsecond line", "Hi", "How are you?"])
    expect(messages(alice_page)).to_have_text(["Hello Bob\nsecond line", "Hi", "How are you?"])
    expect(badge).to_be_hidden()  # Bob has the conversation open: nothing is unread for him
    # The badge and the inbox on Bob's page shared one connection.
    assert len(bob_page.streaminbox_sockets) == 1  # type: ignore[attr-defined]
    bob_page.close()
    expect(presence).to_have_count(0)  # Bob went offline, live


def test_the_picker_starts_a_conversation_with_someone_from_the_directory(
    open_as: Callable[..., Page], make_user: Callable[..., Any]
) -> None:
    alice = make_user("alice", first_name="Alice")
    make_user("carol", first_name="Carol", last_name="Nguyen")
    make_user("dan", first_name="Dan")
    page = open_as(alice)
    inbox_ready(page)
    page.get_by_role("button", name="New message").click()
    search = page.get_by_role("searchbox", name="Search people")
    expect(search).to_be_focused()
    expect(page.locator(".streaminbox-person")).to_have_count(2)
    search.fill("carol")
    expect(page.locator(".streaminbox-person-name")).to_have_text(["Carol Nguyen"])
    page.locator(".streaminbox-person").click()
    expect(page.locator(".streaminbox-pane-title")).to_have_text("Carol Nguyen")
    expect(page.get_by_role("textbox", name="Write a message")).to_be_focused()
    page.keyboard.type("Hi Carol")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("new line")
    page.keyboard.press("Enter")
    expect(messages(page)).to_have_text(["Hi Carol\nnew line"])
    expect(page.locator(".streaminbox-item-name")).to_have_text(["Carol Nguyen"])


def test_someone_you_may_not_message_gets_a_clear_answer(
    open_as: Callable[..., Page], make_user: Callable[..., Any], settings: Any
) -> None:
    settings.STREAMINBOX_CAN_MESSAGE = "tests.inbox.test_tags.nobody_may_message"
    alice, bob = make_user("alice"), make_user("bob")
    page = open_as(alice, f"/messages/?with={bob.pk}", viewport={"width": 380, "height": 640})
    expect(page.get_by_role("alert")).to_have_text("You cannot message this person.")
    expect(page.locator(".streaminbox-sidebar")).to_be_hidden()
    page.get_by_role("button", name="Back to conversations").click()
    expect(page.get_by_text("No conversations yet.")).to_be_visible()


def test_the_inbox_speaks_the_sites_language(
    open_as: Callable[..., Page], make_user: Callable[..., Any], settings: Any
) -> None:
    settings.LANGUAGE_CODE = "fr"
    alice, bob = make_user("alice"), make_user("bob", first_name="Bob")
    page = open_as(alice)
    expect(page.get_by_text("Aucune conversation pour l\u2019instant.")).to_be_visible()
    page.goto(page.url + f"?with={bob.pk}")
    write_fr = page.get_by_role("textbox", name="Écrire un message")
    write_fr.fill("Bonjour")
    page.get_by_role("button", name="Envoyer").click()
    expect(messages(page)).to_have_text(["Bonjour"])
    expect(page.locator(".streaminbox-day")).to_have_text("Aujourd\u2019hui")
    expect(page.locator(".streaminbox-item-preview")).to_have_text("Vous : Bonjour")


def test_a_long_list_pages_in_and_reorders_live(
    open_as: Callable[..., Page], make_user: Callable[..., Any]
) -> None:
    alice = make_user("alice")
    others = [make_user(f"user{n:02d}", first_name=f"Person {n:02d}") for n in range(35)]
    sync.sync_users([alice, *others])
    channels = [get_or_create_direct_channel(alice, other) for other in others]
    for channel, other in zip(channels, others, strict=True):
        send(channel, other, f"Hello from {other.first_name}")
    page = open_as(alice)
    inbox_ready(page)
    names = page.locator(".streaminbox-item-name")
    expect(names).to_have_count(30)
    expect(names.first).to_have_text("Person 34")  # latest activity first
    page.locator(".streaminbox-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    expect(names).to_have_count(35)
    expect(names.last).to_have_text("Person 00")
    # Keyboard: focus walks the list with the arrow keys, Enter opens a conversation.
    page.locator(".streaminbox-item-button").first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.locator(".streaminbox-pane-title")).to_have_text("Person 01")
    send(channels[0], others[0], "Me again")
    expect(names.first).to_have_text("Person 00")
    expect(item(page, channels[0].cid)).to_have_attribute("data-streaminbox-unread", "2")
    expect(page.locator('nav [data-streaminbox="badge"]')).to_have_attribute(
        "data-streaminbox-count", "35"
    )  # 36 sent to Alice, minus the one she read by opening Person 01


def test_a_button_next_to_an_embedded_inbox_opens_the_conversation_in_place(
    open_as: Callable[..., Page], make_user: Callable[..., Any]
) -> None:
    alice = make_user("alice")
    make_user("bob", first_name="Bob")
    make_user("carol", first_name="Carol")
    page = open_as(alice, "/dashboard/")
    inbox_ready(page)
    page.get_by_role("link", name="Carol", exact=True).click()
    expect(page.locator(".streaminbox-pane-title")).to_have_text("Carol")
    page.get_by_role("link", name="Bob", exact=True).click()
    expect(page.locator(".streaminbox-pane-title")).to_have_text("Bob")
    write(page, "Hi Bob")
    expect(page.locator(".streaminbox-item-name")).to_have_text(["Bob"])
    assert page.url.endswith("/dashboard/")  # no navigation: the inbox on the page was used


def test_older_messages_load_when_scrolling_up(
    open_as: Callable[..., Page], make_user: Callable[..., Any]
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    channel = conversation(alice, bob)
    for number in range(1, 61):
        send(channel, bob if number % 2 else alice, f"Message {number}")
    page = open_as(alice, f"/messages/?channel={channel.cid}")
    texts = messages(page)
    expect(texts.last).to_have_text("Message 60")
    expect(texts).to_have_count(25)
    log = page.locator(".streaminbox-messages")
    for shown in (50, 60):
        log.evaluate("element => { element.scrollTop = 0; }")
        expect(texts).to_have_count(shown)
    assert texts.all_inner_texts() == [f"Message {n}" for n in range(1, 61)]
    expect(page.locator(".streaminbox-loading-older")).to_have_count(0)


def test_hostile_text_is_shown_as_text(
    open_as: Callable[..., Page], make_user: Callable[..., Any]
) -> None:
    alice = make_user("alice", first_name=XSS)
    bob = make_user("bob")
    channel = conversation(alice, bob)
    send(channel, alice, XSS)
    page = open_as(bob, f"/messages/?channel={channel.cid}")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    expect(messages(page)).to_have_text([XSS])
    expect(page.locator(".streaminbox-pane-title")).to_have_text(XSS)
    expect(item(page, channel.cid).locator(".streaminbox-item-name")).to_have_text(XSS)
    expect(item(page, channel.cid).locator(".streaminbox-item-preview")).to_have_text(XSS)
    write(page, XSS_TRACE)
    expect(messages(page)).to_have_text([XSS, XSS_TRACE])
    expect(item(page, channel.cid).locator(".streaminbox-item-preview")).to_have_text(
        "You: " + XSS_TRACE
    )
    assert page.locator(".streaminbox img[src='x']").count() == 0
    assert page.evaluate("window.pwned") is None
    assert dialogs == []


def test_expiring_tokens_are_renewed_unnoticed(
    open_as: Callable[..., Page], make_user: Callable[..., Any], settings: Any
) -> None:
    settings.STREAMINBOX_TOKEN_TTL = 2
    alice, bob = make_user("alice"), make_user("bob")
    channel = conversation(alice, bob)
    page = open_as(alice, f"/messages/?channel={channel.cid}")
    token_requests: list[str] = []
    page.on("request", lambda r: token_requests.append(r.url) if "/token/" in r.url else None)
    expect(page.get_by_role("textbox", name="Write a message")).to_be_visible()
    for number in range(1, 4):
        page.wait_for_timeout(2_500)  # the token in use has expired by now
        write(page, f"After expiry {number}")
        expect(messages(page).last).to_have_text(f"After expiry {number}")
        expect(page.locator("[data-streaminbox-pending]")).to_have_count(0)
    assert len(token_requests) >= 3
    expect(page.locator(".streaminbox-banner")).to_be_hidden()


def test_the_banner_shows_while_stream_is_down_and_missed_messages_arrive(
    open_as: Callable[..., Page], make_user: Callable[..., Any], stream_emulator: Any
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    channel = conversation(alice, bob)
    send(channel, bob, "Before the outage")
    page = open_as(alice, f"/messages/?channel={channel.cid}")
    expect(messages(page)).to_have_text(["Before the outage"])
    banner = page.locator(".streaminbox-banner")
    expect(banner).to_be_hidden()

    stream_emulator.stop()
    try:
        expect(banner).to_be_visible(timeout=20_000)
        expect(banner).to_have_text("Connection lost. Reconnecting…")
    finally:
        stream_emulator.start()
    send(channel, bob, "While you were away")
    expect(banner).to_be_hidden(timeout=30_000)
    expect(messages(page)).to_have_text(["Before the outage", "While you were away"])
    write(page, "Back again")
    expect(messages(page).last).to_have_text("Back again")


def test_a_failed_send_can_be_retried(
    open_as: Callable[..., Page], make_user: Callable[..., Any], stream_emulator: Any
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    channel = conversation(alice, bob)
    page = open_as(alice, f"/messages/?channel={channel.cid}")
    expect(page.get_by_role("textbox", name="Write a message")).to_be_visible()
    stream_emulator.set_faults(error_rate=1.0, status=500)
    write(page, "Try me")
    failed = page.locator('[data-streaminbox-pending="failed"]')
    expect(failed).to_contain_text("Not sent.")
    stream_emulator.clear_faults()
    failed.get_by_role("button", name="Retry").click()
    expect(page.locator("[data-streaminbox-pending]")).to_have_count(0)
    expect(messages(page)).to_have_text(["Try me"])


def test_works_under_a_strict_content_security_policy(
    open_as: Callable[..., Page], make_user: Callable[..., Any]
) -> None:
    alice, bob = make_user("alice"), make_user("bob", first_name="Bob")
    channel = conversation(alice, bob)
    send(channel, bob, "Hello under CSP")
    violations: list[str] = []
    page = open_as(alice, "/csp/?channel=" + channel.cid)
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    expect(messages(page)).to_have_text(["Hello under CSP"])
    write(page, "Still works")
    expect(messages(page).last).to_have_text("Still works")
    # The policy is really in force: the page's own inline script without the nonce was blocked.
    assert page.evaluate("window.inlineScriptRan") is None
    assert page.locator("script[nonce]").count() >= 2
    assert not [v for v in violations if "inline" not in v], violations


def test_screenshots(open_as: Callable[..., Page], make_user: Callable[..., Any]) -> None:
    """Light, dark and narrow pictures of a lived-in inbox, for the README."""
    alice = make_user("alice", first_name="Alice", last_name="Martin")
    people = [
        make_user("bob", first_name="Bob", last_name="Okafor"),
        make_user("carol", first_name="Carol", last_name="Nguyen"),
        make_user("dan", first_name="Dan", last_name="Weber"),
    ]
    lines = {
        "carol": ["The venue confirmed Friday.", "Can you send the rider?"],
        "dan": ["Thanks for the intro!"],
        "bob": ["Are we still on for the studio session?", "Yes, 3pm works.", "See you there"],
    }
    channels = {}
    for person in reversed(people):
        channel = channels[person.username] = conversation(alice, person)
        for number, text in enumerate(lines[person.username]):
            send(channel, alice if number % 2 else person, text)
    page = open_as(alice, f"/messages/?channel={channels['bob'].cid}")
    expect(messages(page)).to_have_count(3)
    expect(page.locator("[data-streaminbox-seen]")).to_have_count(1)  # Bob replied after Alice
    rows = page.locator(".streaminbox-messages > li")  # the day, 2 messages, the divider, 1 more
    expect(rows).to_have_count(5)
    expect(rows.nth(3)).to_have_text("New messages")
    expect(rows.nth(4)).to_contain_text("See you there")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    inbox = page.locator('[data-streaminbox="inbox"]')
    inbox.screenshot(path=str(SCREENSHOTS / "inbox-light.png"))
    page.emulate_media(color_scheme="dark")
    inbox.screenshot(path=str(SCREENSHOTS / "inbox-dark.png"))
    narrow = open_as(
        alice, f"/messages/?channel={channels['bob'].cid}", viewport={"width": 380, "height": 680}
    )
    expect(messages(narrow)).to_have_count(3)
    expect(narrow.locator(".streaminbox-sidebar")).to_be_hidden()
    narrow.locator('[data-streaminbox="inbox"]').screenshot(
        path=str(SCREENSHOTS / "inbox-narrow.png")
    )
    narrow.get_by_role("button", name="Back to conversations").click()
    expect(narrow.locator(".streaminbox-sidebar")).to_be_visible()
    expect(narrow.locator(".streaminbox-item")).to_have_count(3)
