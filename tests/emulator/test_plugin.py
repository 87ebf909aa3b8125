"""The pytest plugin's ``stream_emulator`` fixture: settings, cache and fresh state per test."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from stream_chat import StreamChat

from django_streaminbox.emulator import Emulator


def test_settings_point_at_the_emulator(stream_emulator: Emulator) -> None:
    assert stream_emulator.url == settings.STREAMINBOX_BASE_URL
    assert stream_emulator.api_key == settings.STREAMINBOX_API_KEY
    assert stream_emulator.api_secret == settings.STREAMINBOX_API_SECRET
    assert len(stream_emulator.api_secret) >= 32


def test_state_is_fresh_first(stream_emulator: Emulator) -> None:
    chat = StreamChat(
        stream_emulator.api_key, stream_emulator.api_secret, base_url=stream_emulator.url
    )
    assert chat.query_users({})["users"] == []
    chat.upsert_user({"id": "leftover"})
    cache.set("streaminbox-fingerprint", "old")


def test_state_is_fresh_second(stream_emulator: Emulator) -> None:
    assert stream_emulator.state()["users"] == []
    assert stream_emulator.requests() == []
    assert cache.get("streaminbox-fingerprint") is None


def test_one_emulator_per_session(
    stream_emulator: Emulator, stream_emulator_session: Emulator
) -> None:
    assert stream_emulator is stream_emulator_session


def test_a_stopped_emulator_is_restarted(stream_emulator_session: Emulator) -> None:
    stream_emulator_session.stop()


def test_after_a_stop_the_fixture_restarts_it(stream_emulator: Emulator) -> None:
    assert stream_emulator.running


def test_settings_are_restored_after_the_test() -> None:
    assert settings.STREAMINBOX_API_KEY == "test-api-key"


def test_the_plugin_module_imports_without_loading_the_emulator() -> None:
    """pytest loads plugins before coverage starts; re-importing proves the import stays light."""
    import importlib
    import sys

    import django_streaminbox.testing as plugin

    reloaded = importlib.reload(plugin)
    assert callable(reloaded.stream_emulator)
    assert (
        "django_streaminbox.emulator.server" in sys.modules
    )  # loaded by the fixture, not by import
