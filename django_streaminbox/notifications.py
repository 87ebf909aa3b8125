"""Email members who are offline when a message arrives: the reference receiver of ``stream_event``.

Off unless ``STREAMINBOX_EMAIL_NOTIFICATIONS`` is true. On ``message.new`` every member of the
channel except the sender who is offline and has not muted the channel gets one email per
conversation per ``STREAMINBOX_EMAIL_QUIET_PERIOD`` seconds (a burst of ten messages is one email).

"Offline" is read from the webhook payload itself: Stream lists the channel's members (up to 50)
with each member's user and its ``online`` flag, as of the moment the message was sent. That costs
no call back to Stream while Stream waits for the webhook's answer, and it is the state that
matters.

What each user receives is decided by ``STREAMINBOX_EMAIL_PREFERENCE``, a dotted path to
``callable(user, event) -> str`` returning one of the :class:`EmailPreference` values:
``"message"`` (the email quotes the message), ``"notice"`` (it only says there is a new message:
for users who opted out of message text in emails) or ``"none"`` (no email at all). The templates
are ``streaminbox/email/new_message_subject.txt``, ``new_message.txt`` and ``new_message.html``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from .conf import get_setting
from .events import EventType, StreamEvent, django_user_for
from .signals import stream_event

logger = logging.getLogger(__name__)

#: Message types Stream uses for what nobody should be emailed about.
SKIPPED_MESSAGE_TYPES = frozenset({"system", "deleted", "error", "ephemeral"})


class EmailPreference:
    """What ``STREAMINBOX_EMAIL_PREFERENCE`` may answer for a user."""

    MESSAGE = "message"
    NOTICE = "notice"
    NONE = "none"


def default_email_preference(user: AbstractBaseUser, event: StreamEvent) -> str:
    """Everyone gets emails that quote the message; replace this to honour your users' choices."""
    return EmailPreference.MESSAGE


def connect() -> None:
    """Connect the receiver (from ``AppConfig.ready``); it checks the setting each time it runs."""
    stream_event.connect(notify_offline_members, dispatch_uid="streaminbox.notifications")


def notify_offline_members(
    sender: object, event: StreamEvent, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """The ``stream_event`` receiver: email the offline members about a new message."""
    if not get_setting("EMAIL_NOTIFICATIONS") or event.type != EventType.MESSAGE_NEW:
        return
    if event.cid is None or not is_notifiable(event.message):
        return
    for stream_user_id in offline_member_ids(event):
        user = django_user_for(stream_user_id)
        if user is not None:
            notify(user, event, request=request)


def is_notifiable(message: Mapping[str, Any] | None) -> bool:
    """Silent, system and thread-only messages don't buzz anyone's phone in Stream: nor here."""
    if message is None or message.get("silent") or message.get("type") in SKIPPED_MESSAGE_TYPES:
        return False
    return not (message.get("parent_id") and not message.get("show_in_channel"))


def offline_member_ids(event: StreamEvent) -> Iterator[str]:
    """Stream ids of the payload's members, other than the sender, who are offline and not muted."""
    members = event.payload.get("members")
    for member in members if isinstance(members, list) else []:
        if not isinstance(member, Mapping) or member.get("notifications_muted"):
            continue
        user = member.get("user")
        user = user if isinstance(user, Mapping) else {}
        member_id = user.get("id") or member.get("user_id")
        if isinstance(member_id, str) and member_id != event.user_id and not user.get("online"):
            yield member_id


def notify(
    user: AbstractBaseUser, event: StreamEvent, *, request: HttpRequest | None = None
) -> bool:
    """Email ``user`` about ``event`` unless the quiet period or their preference says not to.

    The quiet period is claimed in the cache *before* sending, with ``add`` (atomic in every Django
    cache backend), so that concurrent webhooks for one burst cannot both send; a send that fails
    gives the claim back, so that Stream's retry of the webhook tries again.
    """
    address = getattr(user, user.get_email_field_name(), "")
    preference = import_string(get_setting("EMAIL_PREFERENCE"))(user, event)
    if not address or preference in (EmailPreference.NONE, None, False):
        return False
    cache = caches[get_setting("CACHE")]
    key = quiet_period_key(event.cid or "", str(user.pk))
    if not cache.add(key, True, timeout=get_setting("EMAIL_QUIET_PERIOD")):
        return False
    try:
        build_email(user, address, event, preference, request).send()
    except Exception:
        cache.delete(key)
        raise
    return True


def quiet_period_key(cid: str, user_key: str) -> str:
    digest = hashlib.sha256(f"{cid}\0{user_key}".encode()).hexdigest()
    return f"streaminbox:notified:{digest}"


def build_email(
    user: AbstractBaseUser,
    address: str,
    event: StreamEvent,
    preference: str,
    request: HttpRequest | None,
) -> EmailMultiAlternatives:
    """The email, from the overridable ``streaminbox/email/new_message*`` templates."""
    context = email_context(user, event, preference, request)
    subject = " ".join(
        render_to_string("streaminbox/email/new_message_subject.txt", context).split()
    )
    text = render_to_string("streaminbox/email/new_message.txt", context)
    html = render_to_string("streaminbox/email/new_message.html", context)
    email = EmailMultiAlternatives(subject, text, to=[address])
    email.attach_alternative(html, "text/html")
    return email


def email_context(
    user: AbstractBaseUser, event: StreamEvent, preference: str, request: HttpRequest | None
) -> dict[str, Any]:
    sender = event.payload.get("user")
    sender = sender if isinstance(sender, Mapping) else {}
    include_message = preference == EmailPreference.MESSAGE
    message = event.message or {}
    return {
        "user": user,
        "event": event,
        "cid": event.cid,
        "sender_name": sender.get("name") or event.user_id or "",
        "include_message": include_message,
        "message_text": message.get("text", "") if include_message else "",
        "conversation_url": conversation_url(event.cid or "", request),
    }


def conversation_url(cid: str, request: HttpRequest | None) -> str:
    """The inbox opened on this conversation; absolute when the webhook request gives the host."""
    try:
        url = f"{reverse('streaminbox:inbox')}?{urlencode({'channel': cid})}"
    except NoReverseMatch:
        return ""
    return request.build_absolute_uri(url) if request is not None else url
