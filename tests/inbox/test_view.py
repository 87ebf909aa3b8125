"""InboxView: the inbox page inside the site's layout, with deep links."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def alice_client(make_user: Any) -> Client:
    client = Client()
    client.force_login(make_user("alice"))
    return client


def test_anonymous_visitors_go_to_the_login_page(db: None) -> None:
    response = Client().get("/messages/?with=2")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/messages/%3Fwith%3D2"


def test_the_inbox_sits_in_the_site_layout(
    alice_client: Client, settings: Any, site_templates: None
) -> None:
    settings.STREAMINBOX_BASE_TEMPLATE = "site/base.html"
    settings.STREAMINBOX_BASE_BLOCK = "main"
    html = alice_client.get("/messages/").content.decode()
    nav, rest = html.split("<main>")
    main, footer = rest.split("</main>")
    assert "Site nav" in nav and "Site footer" in footer
    assert 'data-streaminbox="inbox"' in main
    assert "streaminbox-config" in main


def test_the_default_layout_is_a_page_of_its_own(alice_client: Client) -> None:
    response = alice_client.get("/messages/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("<!doctype html>")
    assert "<title>Messages</title>" in html
    assert 'data-streaminbox="inbox"' in html


def test_a_site_template_can_extend_the_inbox_page(
    alice_client: Client, settings: Any, site_templates: None
) -> None:
    settings.STREAMINBOX_BASE_TEMPLATE = "site/base.html"
    settings.STREAMINBOX_BASE_BLOCK = "main"
    from django.template.loader import render_to_string

    response = alice_client.get("/messages/")
    html = render_to_string(
        "site/custom_inbox.html",
        {"streaminbox_with": "", "streaminbox_channel": ""},
        request=response.wsgi_request,
    )
    main = html.split("<main>")[1].split("</main>")[0]
    assert '<p id="custom">Custom inbox block</p>' in main
    assert 'data-streaminbox="inbox"' in main


@pytest.mark.parametrize(
    ("query", "attribute"),
    [
        ("?with=42", 'data-streaminbox-with="42"'),
        ("?channel=messaging:dm-1-2", 'data-streaminbox-channel="messaging:dm-1-2"'),
        ("?with=42&channel=messaging:x", 'data-streaminbox-with="42"'),
    ],
)
def test_deep_links_reach_the_page(alice_client: Client, query: str, attribute: str) -> None:
    html = alice_client.get("/messages/" + query).content.decode()
    assert attribute in html
    if "with=" in query:
        assert "data-streaminbox-channel" not in html


@pytest.mark.parametrize(
    "query", ["?with=%3Cimg%3E", "?with=a%20b", "?channel=nocolon", "?channel=messaging:%22x"]
)
def test_malformed_deep_links_are_ignored(alice_client: Client, query: str) -> None:
    html = alice_client.get("/messages/" + query).content.decode()
    assert "data-streaminbox-with" not in html
    assert "data-streaminbox-channel" not in html
    assert 'data-streaminbox="inbox"' in html
