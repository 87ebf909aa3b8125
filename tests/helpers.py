"""Test helpers shared by several test packages."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client


class API:
    """A logged-in browser talking to the JSON endpoints, with CSRF checks enforced."""

    def __init__(self, user: AbstractBaseUser | None = None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        if user is not None:
            self.client.force_login(user)
        # The csrftoken cookie the page that embeds the inbox would have set.
        self.client.cookies["csrftoken"] = _get_new_csrf_string()

    @property
    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    def post(self, url: str, data: Any = None, **kwargs: Any) -> Any:
        return self.client.post(
            url,
            json.dumps({} if data is None else data),
            content_type="application/json",
            headers={"X-CSRFToken": self.csrf},
            **kwargs,
        )

    def post_form(self, url: str, data: dict[str, Any]) -> Any:
        return self.client.post(url, data, headers={"X-CSRFToken": self.csrf})

    def get(self, url: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.get(url, data or {})
