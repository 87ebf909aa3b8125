"""The template tags: what a page gets for anonymous and logged-in visitors, once per page."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.utils import translation

TAGS = (
    "{% load streaminbox %}{% streaminbox_unread_badge %}"
    "{% streaminbox_message_button other %}{% streaminbox_inbox %}"
)


def render(source: str, user: Any, **context: Any) -> str:
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return Template(source).render(Context({"request": request, **context}))


def page_config(html: str) -> dict[str, Any]:
    pattern = r'<script id="streaminbox-config" type="application/json"[^>]*>(.*?)</script>'
    match = re.search(pattern, html)
    assert match, html
    config: dict[str, Any] = json.loads(match.group(1))
    return config


def test_anonymous_visitors_get_only_a_login_link(make_user: Any) -> None:
    bob = make_user("bob")
    html = render(TAGS, AnonymousUser(), other=bob)
    assert "streaminbox-config" not in html
    assert "<script" not in html
    assert html.count("streaminbox/inbox.css") == 1  # the login link is styled
    assert 'data-streaminbox="badge"' not in html
    assert 'data-streaminbox="inbox"' not in html
    link = re.search(r'<a class="streaminbox-message-button" href="([^"]+)">Message</a>', html)
    assert link, html
    assert link.group(1) == f"/login/?next=%2Fmessages%2F%3Fwith%3D{bob.pk}"


def test_tags_share_one_config_and_one_script(make_user: Any, settings: Any) -> None:
    alice, bob = make_user("alice", first_name="Alice"), make_user("bob")
    html = render(TAGS + "{% streaminbox_unread_badge %}", alice, other=bob)
    assert html.count('id="streaminbox-config"') == 1
    assert html.count("streaminbox/inbox.js") == 1
    assert html.count("streaminbox/inbox.css") == 1
    assert html.count('data-streaminbox="badge"') == 2
    assert f'data-streaminbox="button" data-streaminbox-user="{bob.pk}"' in html
    assert f'href="/messages/?with={bob.pk}"' in html
    config = page_config(html)
    assert config["apiKey"] == settings.STREAMINBOX_API_KEY
    assert config["user"] == {"id": str(alice.pk), "name": "Alice"}
    assert config["urls"] == {
        "inbox": "/messages/",
        "token": "/messages/token/",
        "channel": "/messages/channel/",
        "users": "/messages/users/",
    }
    assert config["sdkUrl"] == settings.STREAMINBOX_JS_SDK_URL
    assert config["csrfToken"]


def test_the_page_never_carries_the_secret_or_a_token(make_user: Any, settings: Any) -> None:
    html = render(TAGS, make_user("alice"), other=make_user("bob"))
    assert settings.STREAMINBOX_API_SECRET not in html
    assert "eyJ" not in html  # no JWT of any kind


def test_user_text_cannot_break_out_of_the_config(make_user: Any) -> None:
    alice = make_user("alice", first_name="</script><script>alert(1)</script>")
    html = render("{% load streaminbox %}{% streaminbox_inbox %}", alice)
    assert "<script>alert(1)" not in html
    assert page_config(html)["user"]["name"] == "</script><script>alert(1)</script>"


def test_csp_nonce_from_the_context_is_on_every_script_and_style(make_user: Any) -> None:
    html = render(TAGS, make_user("alice"), other=make_user("bob"), csp_nonce="n0nce")
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html)
    assert len(tags) == 4
    assert all('nonce="n0nce"' in tag for tag in tags), tags


def test_csp_nonce_from_the_request(make_user: Any) -> None:
    request = RequestFactory().get("/")
    request.user = make_user("alice")
    request.csp_nonce = "from-request"  # type: ignore[attr-defined]  # as django-csp sets it
    html = Template("{% load streaminbox %}{% streaminbox_unread_badge %}").render(
        Context({"request": request})
    )
    assert html.count('nonce="from-request"') == 4


def test_no_button_for_oneself_or_whom_one_may_not_message(make_user: Any, settings: Any) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    source = "{% load streaminbox %}{% streaminbox_message_button other %}"
    assert "streaminbox-message-button" not in render(source, alice, other=alice)
    settings.STREAMINBOX_CAN_MESSAGE = "tests.inbox.test_tags.nobody_may_message"
    assert "streaminbox-message-button" not in render(source, alice, other=bob)


def nobody_may_message(sender: Any, recipient: Any) -> bool:
    return False


def test_button_label_and_class(make_user: Any) -> None:
    html = render(
        '{% load streaminbox %}{% streaminbox_message_button other label=label css_class="big" %}',
        make_user("alice"),
        other=make_user("bob"),
        label="Write to <Bob>",
    )
    assert 'class="streaminbox-message-button big"' in html
    assert ">Write to &lt;Bob&gt;</a>" in html


def test_without_credentials_the_inbox_says_so_and_loads_nothing(
    make_user: Any, settings: Any
) -> None:
    settings.STREAMINBOX_API_KEY = ""
    html = render(TAGS, make_user("alice"), other=make_user("bob"))
    assert "Messaging is not set up on this site yet." in html
    assert "<script" not in html
    assert "modulepreload" not in html
    assert html.count("streaminbox/inbox.css") == 1
    assert 'data-streaminbox="badge"' not in html
    assert "streaminbox-message-button" in html  # the link still leads to the inbox page


def test_a_relative_sdk_url_is_a_static_file(make_user: Any, settings: Any) -> None:
    settings.STREAMINBOX_JS_SDK_URL = "vendor/stream-chat.js"
    html = render("{% load streaminbox %}{% streaminbox_inbox %}", make_user("alice"))
    assert page_config(html)["sdkUrl"] == "/static/vendor/stream-chat.js"
    assert '<link rel="modulepreload" href="/static/vendor/stream-chat.js">' in html


def test_the_inbox_opens_what_it_is_told(make_user: Any) -> None:
    html = render(
        '{% load streaminbox %}{% streaminbox_inbox with_user="42" %}', make_user("alice")
    )
    assert 'data-streaminbox-with="42"' in html
    html = render(
        '{% load streaminbox %}{% streaminbox_inbox channel="messaging:dm-1-2" %}',
        make_user("carol"),
    )
    assert 'data-streaminbox-channel="messaging:dm-1-2"' in html


def test_strings_are_translated(make_user: Any) -> None:
    with translation.override("fr"):
        html = render(TAGS, make_user("alice"), other=make_user("bob"))
    config = page_config(html)
    assert config["language"] == "fr"
    assert config["strings"]["send"] == "Envoyer"
    assert config["strings"]["seen"] == "Vu"
    assert ">Envoyer un message</a>" in html


def test_streaminbox_extends_takes_no_arguments() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template('{% load streaminbox %}{% streaminbox_extends "base.html" %}')


def test_a_page_without_request_gets_nothing(make_user: Any) -> None:
    source = "{% load streaminbox %}{% streaminbox_inbox %}{% streaminbox_unread_badge %}"
    html = Template(source).render(Context({}))
    assert html == ""
    button = "{% load streaminbox %}{% streaminbox_message_button other %}"
    html = Template(button).render(Context({"other": make_user("bob")}))
    assert html.startswith('<a class="streaminbox-message-button" href="/login/?next=')


def test_no_button_without_a_saved_user(make_user: Any) -> None:
    from django.contrib.auth import get_user_model

    source = "{% load streaminbox %}{% streaminbox_message_button other %}"
    assert render(source, make_user("alice"), other=None) == ""
    assert render(source, make_user("bob"), other=get_user_model()(username="unsaved")) == ""


def test_the_extends_node_names_itself() -> None:
    template = Template("{% load streaminbox %}{% streaminbox_extends %}x")
    assert "<ExtendsSettingNode>" in repr(template.nodelist)


def data_with_a_role(user: Any) -> dict[str, Any]:
    return {"name": "Ana", "role": "admin", "teams": ["red"], "profession": "producer"}


def test_the_browser_never_claims_server_only_fields(make_user: Any, settings: Any) -> None:
    settings.STREAMINBOX_USER_DATA = "tests.inbox.test_tags.data_with_a_role"
    html = render("{% load streaminbox %}{% streaminbox_inbox %}", make_user("ana"))
    user = page_config(html)["user"]
    assert user == {"id": user["id"], "name": "Ana", "profession": "producer"}
