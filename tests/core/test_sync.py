"""Keeping Stream's users in step: after commit, only when what Stream sees changed, never
breaking a save."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.cache import caches
from django.db import transaction

from django_streaminbox import sync
from django_streaminbox.client import get_client
from django_streaminbox.exceptions import StreamRejected, StreamUnavailable
from django_streaminbox.signals import user_sync_failed, user_synced

from .conftest import CUSTOM_USER, calls, create_user, rename, stream_users, upserts


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


@pytest.fixture
def synced() -> Any:
    recorder = Recorder()
    user_synced.connect(recorder)
    yield recorder
    user_synced.disconnect(recorder)


@pytest.fixture
def failed() -> Any:
    recorder = Recorder()
    user_sync_failed.connect(recorder)
    yield recorder
    user_sync_failed.disconnect(recorder)


@pytest.mark.django_db(transaction=True)
class TestOnSave:
    def test_a_new_user_is_sent_after_commit(self, emulator: Any, synced: Any) -> None:
        with transaction.atomic():
            user = create_user("ada", full_name="Ada Lovelace")
            assert upserts(emulator) == [], "nothing is sent before the commit"
        assert len(upserts(emulator)) == 1
        assert stream_users(str(user.pk))[str(user.pk)]["name"] == "Ada Lovelace"
        assert [c["user_id"] for c in synced.calls] == [str(user.pk)]
        assert synced.calls[0]["data"] == {"id": str(user.pk), "name": "Ada Lovelace"}

    def test_a_rolled_back_save_sends_nothing(self, emulator: Any) -> None:
        with pytest.raises(RuntimeError), transaction.atomic():
            create_user("ada")
            raise RuntimeError("rolled back")
        assert upserts(emulator) == []
        assert emulator.requests() == []

    def test_one_call_for_a_name_change_none_for_an_unchanged_save(self, emulator: Any) -> None:
        user = create_user("ada", full_name="Ada Lovelace")
        emulator.clear_requests()
        user.save()
        assert upserts(emulator) == [], "same data: no call"
        rename(user, "Ada King")
        assert len(upserts(emulator)) == 1
        assert stream_users(str(user.pk))[str(user.pk)]["name"] == "Ada King"

    def test_last_login_and_password_saves_are_skipped(self, emulator: Any) -> None:
        user = create_user("ada")
        caches["default"].clear()  # even with no fingerprint, a login costs nothing
        emulator.clear_requests()
        from django.contrib.auth.models import update_last_login

        update_last_login(None, user)
        user.set_password("another-password-123")
        user.save(update_fields=["password"])
        assert emulator.requests() == []

    def test_update_fields_that_stream_sees_sync(self, emulator: Any) -> None:
        user = create_user("ada")
        emulator.clear_requests()
        if CUSTOM_USER:
            user.display_name = "Ada"  # type: ignore[attr-defined]
            user.save(update_fields=["display_name"])
        else:
            user.first_name = "Ada"  # type: ignore[attr-defined]
            user.save(update_fields=["first_name"])
        assert len(upserts(emulator)) == 1

    def test_raw_saves_from_fixtures_are_skipped(self, emulator: Any) -> None:
        user = create_user("ada")
        data = serializers.serialize("json", [user])
        get_user_model()._default_manager.all().delete()
        emulator.clear_requests()
        for obj in serializers.deserialize("json", data):
            obj.save()  # raw=True, as loaddata does
        assert upserts(emulator) == []

    def test_disable_sync_for_imports(self, emulator: Any) -> None:
        with sync.disable_sync():
            create_user("ada")
            with sync.disable_sync():
                create_user("bob")
            create_user("cy")
        assert emulator.requests() == []
        create_user("dee")
        assert len(upserts(emulator)) == 1

    def test_disable_sync_leaves_other_threads_alone(self, emulator: Any) -> None:
        with sync.disable_sync():
            worker = threading.Thread(target=lambda: create_user("elsewhere"))
            worker.start()
            worker.join(10)
            create_user("here")
        assert len(upserts(emulator)) == 1, "only the other thread's save was sent"

    def test_disable_sync_as_a_decorator(self, emulator: Any) -> None:
        @sync.disable_sync()
        def import_users() -> None:
            create_user("ada")

        import_users()
        assert emulator.requests() == []

    def test_sync_on_save_setting(self, emulator: Any, settings: Any) -> None:
        settings.STREAMINBOX_SYNC_ON_SAVE = False
        user = create_user("ada")
        user.delete()
        assert emulator.requests() == []

    def test_a_stream_failure_never_breaks_the_save(
        self, emulator: Any, failed: Any, caplog: Any, settings: Any
    ) -> None:
        emulator.set_faults(status=503)
        with caplog.at_level(logging.WARNING, logger="django_streaminbox"):
            user = create_user("ada", full_name="Ada Lovelace")
        assert get_user_model()._default_manager.filter(pk=user.pk).exists()
        assert [c["user_id"] for c in failed.calls] == [str(user.pk)]
        assert failed.calls[0]["action"] == "upsert"
        assert isinstance(failed.calls[0]["error"], StreamUnavailable)
        assert "did not take 1 user" in caplog.text
        assert settings.STREAMINBOX_API_SECRET not in caplog.text
        emulator.clear_faults()
        emulator.clear_requests()
        user.save()  # unchanged, but never recorded as synced: sent now
        assert len(upserts(emulator)) == 1
        assert str(user.pk) in stream_users(str(user.pk))

    def test_stream_unreachable_never_breaks_the_save(self, emulator: Any, failed: Any) -> None:
        emulator.set_faults(down=True)
        user = create_user("ada")
        assert get_user_model()._default_manager.filter(pk=user.pk).exists()
        assert len(failed.calls) == 1

    def test_a_broken_user_data_callable_never_breaks_the_save(
        self, emulator: Any, settings: Any, caplog: Any
    ) -> None:
        settings.STREAMINBOX_USER_DATA = "tests.core.test_sync.broken_user_data"
        with caplog.at_level(logging.ERROR, logger="django_streaminbox"):
            user = create_user("ada")
        assert user.pk is not None
        assert "Syncing user" in caplog.text


def broken_user_data(user: Any) -> dict[str, Any]:
    raise KeyError("oops")


@pytest.mark.django_db(transaction=True)
class TestOnDelete:
    def sent_paths(self, emulator: Any) -> list[tuple[str, str, dict[str, Any]]]:
        return [(r["method"], r["path"], r.get("query", {})) for r in emulator.requests()]

    def test_deactivate_by_default(self, emulator: Any) -> None:
        user = create_user("ada")
        user_id = str(user.pk)
        emulator.clear_requests()
        user.delete()
        assert [(m, p) for m, p, _ in self.sent_paths(emulator)] == [
            ("POST", f"/users/{user_id}/deactivate")
        ]
        assert stream_users(user_id) == {}, "deactivated users are hidden from queries"
        found = get_client().query_users({"id": user_id}, include_deactivated_users=True)
        assert found["users"][0]["deactivated_at"]

    def test_delete_and_hard_delete(self, emulator: Any, settings: Any) -> None:
        settings.STREAMINBOX_ON_USER_DELETE = "delete"
        soft = create_user("ada")
        soft_id = str(soft.pk)
        soft.delete()
        [soft_call] = calls(emulator, "DELETE", f"/users/{soft_id}")
        assert soft_call["query"].get("hard_delete") in (None, "false")
        settings.STREAMINBOX_ON_USER_DELETE = "hard_delete"
        hard = create_user("bob")
        hard_id = str(hard.pk)
        hard.delete()
        [hard_call] = calls(emulator, "DELETE", f"/users/{hard_id}")
        assert hard_call["query"].get("hard_delete") == "true"
        assert hard_call["query"].get("mark_messages_deleted") == "true"
        assert hard_id not in stream_users(hard_id)

    def test_nothing_when_on_user_delete_is_empty(self, emulator: Any, settings: Any) -> None:
        settings.STREAMINBOX_ON_USER_DELETE = ""
        user = create_user("ada")
        emulator.clear_requests()
        user.delete()
        assert emulator.requests() == []

    def test_a_rolled_back_delete_sends_nothing(self, emulator: Any) -> None:
        user = create_user("ada")
        emulator.clear_requests()
        with pytest.raises(RuntimeError), transaction.atomic():
            user.delete()
            raise RuntimeError
        assert emulator.requests() == []

    def test_a_broken_setting_never_breaks_the_delete(
        self, emulator: Any, settings: Any, caplog: Any
    ) -> None:
        user, other = create_user("ada"), create_user("bob")
        emulator.clear_requests()
        settings.STREAMINBOX_ON_USER_DELETE = "purge"  # reported by check streaminbox.E005
        with caplog.at_level(logging.ERROR, logger="django_streaminbox"):
            user.delete()
        assert "Removing user" in caplog.text
        settings.STREAMINBOX_ON_USER_DELETE = "deactivate"
        settings.STREAMINBOX_USER_ID = "tests.core.test_sync.broken_user_data"
        other.delete()
        assert "No Stream id for deleted user" in caplog.text
        assert emulator.requests() == []
        assert not get_user_model()._default_manager.exists()

    def test_a_failed_removal_never_breaks_the_delete(self, emulator: Any, failed: Any) -> None:
        user = create_user("ada")
        user_id = str(user.pk)
        emulator.set_faults(status=500)
        user.delete()
        assert not get_user_model()._default_manager.filter(pk=user_id).exists()
        assert [(c["user_id"], c["action"]) for c in failed.calls] == [(user_id, "deactivate")]


@pytest.mark.django_db
class TestHelpers:
    def test_sync_users_sends_only_changed_users(self, emulator: Any) -> None:
        users = [create_user() for _ in range(3)]
        first = sync.sync_users(users)
        assert (first.sent, first.unchanged, first.batches) == (3, 0, 1)
        rename(users[1], "New Name")
        second = sync.sync_users(users)
        assert (second.sent, second.unchanged) == (1, 2)
        forced = sync.sync_users(users, force=True)
        assert forced.sent == 3
        assert len(upserts(emulator)) == 3

    def test_sync_users_raises_stream_errors(self, emulator: Any, failed: Any) -> None:
        user = create_user()
        emulator.set_faults(status=503)
        with pytest.raises(StreamUnavailable):
            sync.sync_users([user])
        emulator.set_faults(status=400)
        with pytest.raises(StreamRejected):
            sync.sync_users([user])
        report = sync.sync_users([user], raise_errors=False)
        assert (report.failed, report.failed_batches) == (1, 1)
        assert len(failed.calls) == 3
        assert sync.needs_sync(user)

    def test_the_fingerprint_is_per_stream_app(self, emulator: Any, settings: Any) -> None:
        user = create_user()
        sync.sync_users([user])
        assert not sync.needs_sync(user)
        settings.STREAMINBOX_API_KEY = "another-app"
        assert sync.needs_sync(user)

    def test_the_cache_setting_chooses_the_cache(self, emulator: Any, settings: Any) -> None:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "sync": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": "sync",
            },
        }
        settings.STREAMINBOX_CACHE = "sync"
        user = create_user()
        sync.sync_users([user])
        assert not sync.needs_sync(user)
        caches["sync"].clear()
        assert sync.needs_sync(user)

    def test_remove_users_accepts_users_and_ids(self, emulator: Any) -> None:
        ada, bob = create_user(), create_user()
        sync.sync_users([ada, bob])
        removed = sync.remove_users([ada, str(bob.pk), "never-synced"], action="hard_delete")
        assert removed == 3, "a user Stream never had counts as removed"
        assert stream_users(str(ada.pk), str(bob.pk)) == {}
        assert sync.needs_sync(ada), "a removed user is sent again if saved again"

    def test_remove_users_validates_the_action(self, emulator: Any) -> None:
        with pytest.raises(ValueError, match="Unknown removal action"):
            sync.remove_users([], action="explode")
        assert sync.remove_users([create_user()], action="") == 0

    def test_remove_users_raises_stream_errors(self, emulator: Any, failed: Any) -> None:
        emulator.set_faults(down=True)
        with pytest.raises(StreamUnavailable):
            sync.remove_users(["someone"])
        assert failed.calls[0]["user"] is None
