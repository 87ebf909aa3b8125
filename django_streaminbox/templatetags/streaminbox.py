"""``{% load streaminbox %}``: the inbox, the "Message" button and the unread badge, anywhere.

Every tag renders plain HTML that works before (and without) JavaScript; ``inbox.js`` then brings it
to life. The first tag on a page also renders the assets: the stylesheet, the page's config as JSON
(API key, user, endpoint URLs, strings: never the API secret, never a token) and the module script,
so several tags share one download and one Stream connection. A CSP nonce found in the context
(``csp_nonce``, as Django's ``csp`` context processor and django-csp provide) or on the request is
put on every script and style tag.
"""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.shortcuts import resolve_url
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.loader import render_to_string
from django.template.loader_tags import BlockNode, ExtendsNode
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from ..conf import get_setting
from ..strings import browser_strings
from ..users import can_message, stream_user_data, stream_user_id

register = template.Library()

#: Characters that could end the JSON's <script> element early or start markup in it.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}
_ASSETS_RENDERED = "_streaminbox_assets_rendered"


def is_configured() -> bool:
    """Whether the browser can connect at all: without an API key there is nothing to talk to."""
    return bool(get_setting("API_KEY")) and bool(get_setting("API_SECRET"))


def csp_nonce(context: Context) -> str:
    """The page's CSP nonce, from the context or the request; empty when the site uses none."""
    nonce = context.get("csp_nonce")
    if not nonce:
        request = context.get("request")
        nonce = getattr(request, "csp_nonce", "")
    return str(nonce or "")


def _request(context: Context) -> HttpRequest | None:
    request = context.get("request")
    return request if isinstance(request, HttpRequest) else None


def _viewer(context: Context) -> AbstractBaseUser | None:
    request = _request(context)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _csrf_header() -> str:
    """``CSRF_HEADER_NAME`` ("HTTP_X_CSRFTOKEN") as the browser sends it ("X-CSRFTOKEN")."""
    name = str(settings.CSRF_HEADER_NAME)
    name = name.removeprefix("HTTP_")
    return name.replace("_", "-")


def sdk_url() -> str:
    """``STREAMINBOX_JS_SDK_URL``: absolute or root-relative as given, else a static file path."""
    url = str(get_setting("JS_SDK_URL"))
    if url.startswith(("http://", "https://", "/")):
        return url
    return static(url)


#: Fields only the server may set: a browser's ``connectUser`` must not send them.
SERVER_ONLY_FIELDS = frozenset(
    {"role", "teams", "teams_role", "banned", "shadow_banned", "revoke_tokens_issued_before"}
)


def connect_user_data(user: AbstractBaseUser) -> dict[str, Any]:
    """The user as the browser introduces itself to Stream: what sync sends, minus privileges.

    ``connectUser`` upserts these fields, so they match what the server sync sends (no flip-flop
    between two versions of the user); the server-only ones are left to the sync.
    """
    data = stream_user_data(user)
    return {key: value for key, value in data.items() if key not in SERVER_ONLY_FIELDS}


def page_config(request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
    """What ``inbox.js`` needs, all of it public: it is readable by anyone who can see the page."""
    return {
        "apiKey": get_setting("API_KEY"),
        "baseUrl": get_setting("BASE_URL"),
        "sdkUrl": sdk_url(),
        "channelType": get_setting("CHANNEL_TYPE"),
        "user": connect_user_data(user),
        "language": get_language() or "",
        "csrfToken": get_token(request),
        "csrfHeader": _csrf_header(),
        "urls": {
            "inbox": reverse("streaminbox:inbox"),
            "token": reverse("streaminbox:token"),
            "channel": reverse("streaminbox:channel"),
            "users": reverse("streaminbox:users"),
        },
        "strings": browser_strings(),
    }


def json_script(value: Any, element_id: str, nonce: str) -> SafeString:
    """Django's ``json_script`` filter, plus the nonce (for CSPs that want one on every script)."""
    data = json.dumps(value, cls=DjangoJSONEncoder).translate(_JSON_ESCAPES)
    nonce_attribute = f' nonce="{escape(nonce)}"' if nonce else ""
    return mark_safe(  # noqa: S308  (the JSON is escaped above, the nonce below)
        f'<script id="{element_id}" type="application/json"{nonce_attribute}>{data}</script>'
    )


def assets(context: Context) -> str:
    """What the page still lacks, once per request: the stylesheet, then the config and scripts.

    The stylesheet comes with the first tag on the page (a login link or a "not set up" notice is
    styled too); the config and the module script only for a logged-in user with Stream configured.
    """
    request = _request(context)
    if request is None:
        return ""
    user = _viewer(context)
    rendered: set[str] = getattr(request, _ASSETS_RENDERED, set())
    wanted = {"css", "js"} if user is not None and is_configured() else {"css"}
    missing = wanted - rendered
    if not missing:
        return ""
    setattr(request, _ASSETS_RENDERED, rendered | missing)
    nonce = csp_nonce(context)
    scripts = "js" in missing and user is not None
    return render_to_string(
        "streaminbox/tags/assets.html",
        {
            "nonce": nonce,
            "stylesheet": "css" in missing,
            "scripts": scripts,
            "sdk_url": sdk_url(),
            "config": (
                json_script(page_config(request, user), "streaminbox-config", nonce)
                if scripts and user is not None
                else ""
            ),
        },
    )


@register.simple_tag(takes_context=True)
def streaminbox_inbox(context: Context, with_user: str = "", channel: str = "") -> str:
    """The whole inbox: the conversation list and the open conversation. Nothing for anonymous.

    ``with_user`` (a Stream user id) or ``channel`` (a cid) opens that conversation once loaded.
    """
    if _viewer(context) is None:
        return ""
    return render_to_string(
        "streaminbox/tags/inbox.html",
        {
            "assets": mark_safe(assets(context)),  # noqa: S308  (rendered by our own template)
            "configured": is_configured(),
            "with_user": with_user,
            "channel": channel,
        },
    )


@register.simple_tag(takes_context=True)
def streaminbox_message_button(
    context: Context, user: AbstractBaseUser, label: str = "", css_class: str = ""
) -> str:
    """A "Message" link for ``user``: it opens (or starts) the conversation in the inbox.

    It is a real link to the inbox page (``?with=<id>``), so it works without JavaScript; anonymous
    visitors are sent to the login page first. Nothing is shown for oneself, or for someone the
    viewer may not message (``STREAMINBOX_CAN_MESSAGE``).
    """
    viewer = _viewer(context)
    if user is None or not getattr(user, "pk", None):
        return ""
    target = stream_user_id(user)
    inbox_url = reverse("streaminbox:inbox") + "?" + urlencode({"with": target})
    if viewer is None:
        url = resolve_url(settings.LOGIN_URL) + "?" + urlencode({"next": inbox_url})
        page_assets = assets(context)  # the stylesheet only
    else:
        if viewer.pk == user.pk or not can_message(viewer, user):
            return ""
        url = inbox_url
        page_assets = assets(context)
    return render_to_string(
        "streaminbox/tags/message_button.html",
        {
            "assets": mark_safe(page_assets),  # noqa: S308  (rendered by our own template)
            "url": url,
            "user_id": target,
            "label": label,
            "css_class": css_class,
            "anonymous": viewer is None,
        },
    )


@register.simple_tag(takes_context=True)
def streaminbox_unread_badge(context: Context, css_class: str = "") -> str:
    """The viewer's live total of unread messages, hidden at 0. Nothing for anonymous users."""
    if _viewer(context) is None or not is_configured():
        return ""
    return render_to_string(
        "streaminbox/tags/unread_badge.html",
        {"assets": mark_safe(assets(context)), "css_class": css_class},  # noqa: S308
    )


# {% streaminbox_extends %}: the inbox page inside the site's own layout.


class ExtendsSettingNode(ExtendsNode):
    """``{% extends %}`` whose parent and block are settings, read at render time.

    Django's ``{% extends %}`` can take the parent from a variable but the block names are fixed
    when the template is parsed; this one puts everything after the tag into the block named by
    ``STREAMINBOX_BASE_BLOCK`` of ``STREAMINBOX_BASE_TEMPLATE``. ``{% block %}`` tags inside keep
    working, so a site's template extending ours can still override them.
    """

    must_be_first = False  # ``{% load streaminbox %}`` has to come before it

    def __init__(self, nodelist: Any) -> None:
        super().__init__(nodelist, parent_name=cast(Any, None))

    def __repr__(self) -> str:
        return "<ExtendsSettingNode>"

    @property
    def blocks(self) -> dict[str, BlockNode]:
        name = str(get_setting("BASE_BLOCK"))
        content = BlockNode(name, self.nodelist)
        content.token = self.token
        content.origin = self.origin
        return {**self._inner_blocks, name: content}

    @blocks.setter
    def blocks(self, value: dict[str, BlockNode]) -> None:
        self._inner_blocks = value

    def get_parent(self, context: Context) -> Any:
        return self.find_template(str(get_setting("BASE_TEMPLATE")), context)


@register.tag("streaminbox_extends")
def streaminbox_extends(parser: Parser, token: Token) -> ExtendsSettingNode:
    """``{% streaminbox_extends %}``: the rest of this template fills the site's base template."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% streaminbox_extends %} takes no arguments.")
    nodelist = parser.parse()
    return ExtendsSettingNode(nodelist)
