"""What the app is measured against: the hand-rolled integration and the physical floor.

The hand-rolled code is the seed article's, translated from DRF to plain Django views: a new
``StreamChat`` client and an ``upsert_user`` on every token request, a new client and a ``create``
on every channel request, an upsert on every save, one user at a time in a backfill. The floor is
the least Django can do for a token: authenticate the session and sign a JWT, with no Stream client
at all. These live in the benchmarks only; nothing here is part of the package."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models.signals import post_save
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST
from stream_chat import StreamChat


def new_client() -> StreamChat:
    """A fresh client, as the article builds one inside every view."""
    return StreamChat(
        api_key=settings.STREAMINBOX_API_KEY,
        api_secret=settings.STREAMINBOX_API_SECRET,
        base_url=settings.STREAMINBOX_BASE_URL or None,
        timeout=settings.STREAMINBOX_TIMEOUT,
    )


def user_payload(user: Any) -> dict[str, Any]:
    """The article's payload: the id and a display name."""
    return {"id": str(user.pk), "name": user.get_full_name() or user.get_username()}


def _unauthenticated() -> JsonResponse:
    return JsonResponse({"error": {"code": "not_authenticated", "message": "Log in."}}, status=401)


@require_POST
def hand_rolled_token(request: HttpRequest) -> HttpResponse:
    """The seed article's TokenView: a new client and an upsert on every request."""
    if not request.user.is_authenticated:
        return _unauthenticated()
    client = new_client()
    client.upsert_user(user_payload(request.user))
    user_id = str(request.user.pk)
    return JsonResponse(
        {"token": client.create_token(user_id), "api_key": settings.STREAMINBOX_API_KEY}
    )


@require_POST
def floor_token(request: HttpRequest) -> HttpResponse:
    """The floor: what the token endpoint cannot go below (session, user, one HMAC signature)."""
    if not request.user.is_authenticated:
        return _unauthenticated()
    user_id = str(request.user.pk)
    now = int(time.time())
    expires_at = now + settings.STREAMINBOX_TOKEN_TTL
    claims = {"user_id": user_id, "iat": now, "exp": expires_at}
    token = jwt.encode(claims, settings.STREAMINBOX_API_SECRET, algorithm="HS256")
    return JsonResponse(
        {
            "token": token,
            "api_key": settings.STREAMINBOX_API_KEY,
            "user_id": user_id,
            "expires_at": expires_at,
            "base_url": settings.STREAMINBOX_BASE_URL,
        }
    )


@require_POST
def hand_rolled_channel(request: HttpRequest) -> HttpResponse:
    """The seed article's CreateChannelView: a new client and a ``create`` on every request."""
    if not request.user.is_authenticated:
        return _unauthenticated()
    other_user_id = json.loads(request.body)["user_id"]
    members = sorted([str(request.user.pk), str(other_user_id)])
    channel_id = f"chat-{members[0]}-{members[1]}"
    channel = new_client().channel("messaging", channel_id, {"members": members})
    channel.create(str(request.user.pk))
    return JsonResponse({"channel_id": channel_id})


class UpsertOnSave:
    """A plain ``post_save`` handler: one upsert on every save of a user, login included."""

    def __init__(self, sender: type[AbstractBaseUser]) -> None:
        self.sender = sender
        self.client = new_client()

    def __call__(self, sender: Any, instance: Any, **kwargs: Any) -> None:
        self.client.upsert_user(user_payload(instance))

    def __enter__(self) -> UpsertOnSave:
        post_save.connect(self, sender=self.sender, weak=False, dispatch_uid="bench-upsert")
        return self

    def __exit__(self, *exc: object) -> None:
        post_save.disconnect(sender=self.sender, dispatch_uid="bench-upsert")


def upsert_one_at_a_time(users: Iterable[Any]) -> int:
    """The naive backfill: one ``upsert_user`` call per user. Returns how many were sent."""
    client = new_client()
    count = 0
    for user in users:
        client.upsert_user(user_payload(user))
        count += 1
    return count


def inbox_floor(request: HttpRequest) -> HttpResponse:
    """The inbox's floor: a bare page making the same SDK calls as inbox.js, with minimal DOM."""
    floor = {
        "apiKey": settings.STREAMINBOX_API_KEY,
        "baseUrl": settings.STREAMINBOX_BASE_URL,
        "sdkUrl": settings.STREAMINBOX_JS_SDK_URL,
        "userId": str(request.user.pk),
        "tokenUrl": reverse("bench-floor-token"),
        "csrf": get_token(request),
    }
    return render(request, "benchmarks/inbox_floor.html", {"floor": floor})
