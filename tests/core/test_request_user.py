"""The views give the sync ``request.user``, a lazy proxy: it must act as the user it wraps.

Found by the benchmarks: a token request for a user Stream lacked logged "Syncing user ... failed"
(the sync re-read the row through ``type(user)``, the proxy's class) and sent ``user_synced`` with
the proxy class as sender, so receivers connected for the user model never heard of it.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from django_streaminbox.signals import user_synced

from .conftest import API, create_user, upserts

pytestmark = pytest.mark.django_db


def test_token_request_syncs_as_the_user_model(
    emulator: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    model = get_user_model()
    user = create_user("ada", full_name="Ada Lovelace")
    api = API(user)
    emulator.clear_requests()
    heard: list[tuple[Any, Any]] = []

    def receiver(sender: Any, user: Any, **kwargs: Any) -> None:
        heard.append((sender, user.pk))

    user_synced.connect(receiver, sender=model, weak=False, dispatch_uid="test-request-user")
    try:
        with (
            caplog.at_level(logging.ERROR, logger="django_streaminbox"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert api.post(reverse("streaminbox:token")).status_code == 200
    finally:
        user_synced.disconnect(sender=model, dispatch_uid="test-request-user")
    assert len(upserts(emulator)) == 1
    assert heard == [(model, user.pk)]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
