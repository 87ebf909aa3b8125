"""What Stream knows about a member: ``STREAMINBOX_USER_DATA`` points here.

The package's default sends the name only; this site's inbox also shows each person's role, so it
is added here. Never put anything private (email, phone) in this payload: every member who shares
a conversation with the user can read it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser


def user_data(user: AbstractBaseUser) -> dict[str, Any]:
    name = user.get_full_name() or user.get_username()  # type: ignore[attr-defined]
    data: dict[str, Any] = {"name": name}
    profile = getattr(user, "profile", None)
    if profile is not None:
        # Not "role": that is Stream's own field, the user's permission role ("user", "admin").
        data["profession"] = profile.get_role_display()
    return data
