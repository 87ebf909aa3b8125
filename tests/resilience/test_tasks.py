"""STREAMINBOX_SYNC_BACKEND = "task": saves queue a task, a worker sends them, nothing is lost."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from django_streaminbox import checks, scheduling

from .conftest import assert_nothing_lost, make_user, set_name, stream_copy

ROOT = Path(__file__).resolve().parents[2]
#: Django 6's own framework when present, else the backport: the one ``tasks.py`` uses.
FRAMEWORK = import_module(scheduling.tasks_framework() or "django_tasks")
DUMMY = {"default": {"BACKEND": f"{FRAMEWORK.__name__}.backends.dummy.DummyBackend"}}
IMMEDIATE = {"default": {"BACKEND": f"{FRAMEWORK.__name__}.backends.immediate.ImmediateBackend"}}


def queued() -> list[Any]:
    return list(FRAMEWORK.default_task_backend.results)


def upserts(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if (r["method"], r["path"]) == ("POST", "/users")]


@pytest.fixture
def dummy_queue(settings: Any) -> Any:
    settings.TASKS = DUMMY
    settings.STREAMINBOX_SYNC_BACKEND = "task"
    FRAMEWORK.default_task_backend.clear()
    yield
    FRAMEWORK.default_task_backend.clear()


@pytest.mark.django_db(transaction=True)
class TestQueued:
    def test_a_save_queues_the_primary_key_and_sends_nothing(
        self, emulator: Any, dummy_queue: None
    ) -> None:
        user = make_user("ada", full_name="Ada Lovelace")
        [result] = queued()
        assert result.task.module_path == "django_streaminbox.tasks.sync_user"
        assert result.args == [str(user.pk)], "only the key travels, never the user's data"
        assert upserts(emulator) == []

    def test_the_task_sends_what_the_database_holds_when_it_runs(
        self, emulator: Any, dummy_queue: None
    ) -> None:
        user = make_user("ada", full_name="Ada Lovelace")
        set_name(user, "Ada King")
        user.save()
        assert len(queued()) == 2
        for result in queued():
            result.task.call(*result.args)
        held = stream_copy([str(user.pk)])[str(user.pk)]
        assert held["name"] == "Ada King"
        assert len(upserts(emulator)) == 1, "the second run found Stream already up to date"

    def test_a_failed_task_raises_and_leaves_the_user_to_the_next_sync(
        self, emulator: Any, dummy_queue: None
    ) -> None:
        user = make_user("ada", full_name="Ada Lovelace")
        [result] = queued()
        emulator.set_faults(status=503)
        with pytest.raises(ConnectionError):  # the backend records it (and may retry)
            result.task.call(*result.args)
        emulator.clear_faults()
        call_command("streaminbox_sync", stdout=io.StringIO())  # the cron line
        assert stream_copy([str(user.pk)])[str(user.pk)]["name"] == "Ada Lovelace"
        assert_nothing_lost(emulator)

    def test_a_user_deleted_before_the_worker_ran_is_skipped(
        self, emulator: Any, dummy_queue: None
    ) -> None:
        user = make_user("ada")
        [result] = queued()
        get_user_model()._default_manager.filter(pk=user.pk).delete()
        assert result.task.call(*result.args) == {"sent": 0, "unchanged": 0}

    def test_a_delete_queues_the_removal(self, emulator: Any, dummy_queue: None) -> None:
        user = make_user("ada")
        queued()[0].task.call(*queued()[0].args)
        user_id = str(user.pk)
        user.delete()
        removal = queued()[-1]
        assert removal.task.module_path == "django_streaminbox.tasks.remove_user"
        assert removal.args == [user_id, "deactivate"]
        assert removal.task.call(*removal.args) == 1
        assert stream_copy([user_id]) == {}, "deactivated users drop out of queries"
        held = stream_copy([user_id], include_deactivated_users=True)
        assert held[user_id].get("deactivated_at")

    def test_the_queue_and_backend_settings_are_used(self, emulator: Any, settings: Any) -> None:
        settings.STREAMINBOX_SYNC_BACKEND = "task"
        settings.TASKS = {
            "default": IMMEDIATE["default"],
            "chat": {**DUMMY["default"], "QUEUES": ["stream"]},
        }
        settings.STREAMINBOX_TASK_BACKEND = "chat"
        settings.STREAMINBOX_TASK_QUEUE = "stream"
        make_user("ada")
        [result] = FRAMEWORK.task_backends["chat"].results
        assert (result.backend, result.task.queue_name) == ("chat", "stream")
        assert upserts(emulator) == []

    def test_a_queue_that_refuses_never_breaks_the_save(
        self, emulator: Any, settings: Any, caplog: Any
    ) -> None:
        settings.STREAMINBOX_SYNC_BACKEND = "task"
        settings.TASKS = {"default": {**DUMMY["default"], "QUEUES": ["other"]}}
        with caplog.at_level(logging.ERROR, "django_streaminbox"):
            user = make_user("ada", full_name="Ada Lovelace")  # queue "default" is not allowed
        assert get_user_model()._default_manager.filter(pk=user.pk).exists()
        assert "Could not queue the Stream sync" in caplog.text
        settings.STREAMINBOX_SYNC_BACKEND = "on_commit"
        call_command("streaminbox_sync", stdout=io.StringIO())
        assert_nothing_lost(emulator)

    def test_the_immediate_backend_syncs_at_once(self, emulator: Any, settings: Any) -> None:
        settings.STREAMINBOX_SYNC_BACKEND = "task"
        settings.TASKS = IMMEDIATE
        user = make_user("ada", full_name="Ada Lovelace")
        assert stream_copy([str(user.pk)])[str(user.pk)]["name"] == "Ada Lovelace"


class TestChecks:
    def ids(self) -> list[str]:
        return [message.id for message in checks.check_settings() if message.id]

    def test_an_unknown_backend_is_e009(self, settings: Any) -> None:
        settings.STREAMINBOX_SYNC_BACKEND = "celery"
        assert "streaminbox.E009" in self.ids()

    def test_tasks_without_a_framework_is_e010(self, settings: Any, monkeypatch: Any) -> None:
        settings.STREAMINBOX_SYNC_BACKEND = "task"
        assert "streaminbox.E010" not in self.ids()
        monkeypatch.setattr(scheduling, "find_spec", lambda name: None)
        assert scheduling.tasks_framework() is None
        assert "streaminbox.E010" in self.ids()

    def test_an_unknown_task_backend_alias_is_e011(self, settings: Any) -> None:
        settings.STREAMINBOX_SYNC_BACKEND = "task"
        settings.TASKS = DUMMY
        assert "streaminbox.E011" not in self.ids()
        settings.STREAMINBOX_TASK_BACKEND = "nope"
        assert "streaminbox.E011" in self.ids()

    def test_the_default_needs_no_framework(self, settings: Any, monkeypatch: Any) -> None:
        monkeypatch.setattr(scheduling, "find_spec", lambda name: None)
        assert not {"streaminbox.E009", "streaminbox.E010", "streaminbox.E011"} & set(self.ids())


def test_the_package_imports_and_checks_without_a_tasks_framework() -> None:
    """Without django-tasks (and before Django 6) everything but tasks.py imports; E010 says why."""
    script = textwrap.dedent(
        """
        import sys
        sys.modules["django_tasks"] = None  # as if not installed
        sys.modules["django.tasks"] = None
        import django
        from django.conf import settings
        settings.configure(
            INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                            "django_streaminbox"],
            STREAMINBOX_SYNC_BACKEND="task",
        )
        django.setup()
        from django_streaminbox import checks, views, sync, scheduling  # noqa
        print(sorted({m.id for m in checks.check_settings()}))
        try:
            import django_streaminbox.tasks
        except ImportError as exc:
            print("ImportError:", exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "streaminbox.E010" in out.stdout
    assert 'ImportError: STREAMINBOX_SYNC_BACKEND = "task" needs' in out.stdout


@pytest.mark.slow
def test_the_database_worker_sends_every_queued_user(tmp_path: Path, stream_emulator: Any) -> None:
    """A real queue (django-tasks-db) and its worker: saves only queue; ``db_worker`` syncs them;
    with Stream failing meanwhile, the cron command picks up what the failed tasks left."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.resilience.settings_worker",
        "WORKER_TEST_DB": str(tmp_path / "db.sqlite3"),
        "STREAMINBOX_BASE_URL": stream_emulator.url,
        "STREAMINBOX_API_KEY": stream_emulator.api_key,
        "STREAMINBOX_API_SECRET": stream_emulator.api_secret,
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def shell(code: str) -> str:
        return manage("shell", "-v", "0", "-c", textwrap.dedent(code))

    manage("migrate", "-v", "0")
    shell(
        """
        from django.contrib.auth.models import User
        for n in range(40):
            User.objects.create_user(f"member{n}", first_name=f"Member {n}", password="x")
        """
    )
    assert [r for r in stream_emulator.requests() if r["path"] == "/users"] == [], "only queued"
    out = shell(
        """
        from django_tasks_db.models import DBTaskResult
        print(DBTaskResult.objects.filter(status="READY").count())
        """
    )
    assert out.strip() == "40"
    manage("db_worker", "--batch", "--no-startup-delay")
    out = shell(
        """
        from django_tasks_db.models import DBTaskResult
        print(sorted(set(DBTaskResult.objects.values_list("status", flat=True))))
        """
    )
    assert out.strip() == "['SUCCESSFUL']"
    held = stream_copy([str(pk) for pk in range(1, 41)])
    assert {held[str(n + 1)]["name"] for n in range(40)} == {f"Member {n}" for n in range(40)}

    # Stream fails every call while the next saves' tasks run: they fail, nothing is lost.
    shell(
        """
        from django.contrib.auth.models import User
        for user in User.objects.filter(pk__lte=10):
            user.first_name = "Renamed"
            user.save()
        """
    )
    stream_emulator.set_faults(status=503)
    manage("db_worker", "--batch", "--no-startup-delay")
    stream_emulator.clear_faults()
    out = shell(
        """
        from django_tasks_db.models import DBTaskResult
        print(DBTaskResult.objects.filter(status="FAILED").count())
        """
    )
    assert out.strip() == "10"
    manage("streaminbox_sync")
    held = stream_copy([str(pk) for pk in range(1, 11)])
    assert [u["name"] for u in held.values()] == ["Renamed"] * 10


@pytest.mark.django_db(transaction=True)
class TestInTheRequest:
    """The default backend, where ``scheduling`` runs the work itself after commit."""

    def test_a_delete_deactivates_after_commit(self, emulator: Any) -> None:
        user = make_user("ada")
        user_id = str(user.pk)
        user.delete()
        held = stream_copy([user_id], include_deactivated_users=True)
        assert held[user_id].get("deactivated_at")

    def test_a_removal_that_raises_never_breaks_the_delete(
        self, emulator: Any, settings: Any, caplog: Any
    ) -> None:
        user = make_user("ada")
        settings.STREAMINBOX_ON_USER_DELETE = "shred"  # E005 says so; the delete still works
        with caplog.at_level(logging.ERROR, "django_streaminbox"):
            user.delete()
        assert "Removing user" in caplog.text
        assert not get_user_model()._default_manager.filter(username="ada").exists()

    def test_a_user_deleted_while_being_sent_ends_the_rounds(self, emulator: Any) -> None:
        user = make_user("ada", full_name="Ada Lovelace")
        get_user_model()._default_manager.filter(pk=user.pk).delete()
        set_name(user, "Ada King")
        report = scheduling.sync_latest(user, raise_errors=False)
        assert report.sent == 1 and report.failed == 0
