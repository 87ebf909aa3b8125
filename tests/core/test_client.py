"""One Stream client per process, rebuilt when a setting changes; Stream's failures translated."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from django.test import override_settings
from stream_chat.base.exceptions import StreamAPIException

from django_streaminbox import client as client_module
from django_streaminbox.client import get_client, stream_errors
from django_streaminbox.exceptions import ConfigurationError, StreamRejected, StreamUnavailable


def test_one_client_per_process(emulator: Any) -> None:
    assert get_client() is get_client()


def test_rebuilt_when_a_streaminbox_setting_changes(emulator: Any, settings: Any) -> None:
    first = get_client()
    settings.DEBUG = not settings.DEBUG
    assert get_client() is first, "other settings leave it alone"
    settings.STREAMINBOX_TIMEOUT = 1.5
    second = get_client()
    assert second is not first
    assert second.timeout == 1.5
    with override_settings(STREAMINBOX_BASE_URL="http://127.0.0.1:9/"):
        assert get_client().base_url == "http://127.0.0.1:9", "no trailing slash"
    assert get_client().base_url == emulator.url


def test_concurrent_calls_share_the_pool_without_discarding_connections(
    emulator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A threaded server's workers call Stream at once: each gets a pooled connection."""
    emulator.set_faults(latency_ms=100)  # every call still open while the others start
    client = get_client()
    with (
        caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"),
        ThreadPoolExecutor(max_workers=20) as pool,
    ):
        answers = list(pool.map(lambda _: client.get_app_settings(), range(20)))
    assert len(answers) == 20
    assert "Connection pool is full" not in caplog.text


def test_the_timeout_setting_wins_over_the_sdk_environment_variable(
    emulator: Any, settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("STREAM_CHAT_TIMEOUT", "30")
    settings.STREAMINBOX_TIMEOUT = 2.0
    assert get_client().timeout == 2.0


def test_empty_base_url_is_streams_own(settings: Any) -> None:
    settings.STREAMINBOX_BASE_URL = ""
    assert get_client().base_url == "https://chat.stream-io-api.com"


@pytest.mark.parametrize("name", ["STREAMINBOX_API_KEY", "STREAMINBOX_API_SECRET"])
def test_missing_credentials_name_the_setting(settings: Any, name: str) -> None:
    setattr(settings, name, "")
    with pytest.raises(ConfigurationError, match=name):
        get_client()


def test_connection_refused_is_unavailable(emulator: Any) -> None:
    emulator.set_faults(down=True)
    with pytest.raises(StreamUnavailable) as caught, stream_errors():
        get_client().get_app_settings()
    assert caught.value.retry_after == client_module.DEFAULT_RETRY_AFTER


def test_server_errors_are_unavailable_and_client_errors_rejected(emulator: Any) -> None:
    emulator.set_faults(status=502)
    with pytest.raises(StreamUnavailable) as unavailable, stream_errors():
        get_client().get_app_settings()
    assert unavailable.value.status == 502
    emulator.clear_faults()
    with pytest.raises(StreamRejected) as rejected, stream_errors():
        get_client().upsert_users([{"id": "has space"}])
    assert rejected.value.status == 400
    assert rejected.value.code == 4


def test_a_429_says_when_to_retry(emulator: Any) -> None:
    emulator.set_faults(rate_limit={"GetApp": 0, "window_seconds": 20})
    with pytest.raises(StreamUnavailable) as caught, stream_errors():
        get_client().get_app_settings()
    assert caught.value.status == 429
    assert 1 <= caught.value.retry_after <= 22


def test_other_errors_pass_through() -> None:
    with pytest.raises(KeyError), stream_errors():
        raise KeyError("not Stream's")


def test_translate_non_json_error() -> None:
    error = client_module.translate(StreamAPIException("<html>", 504))
    assert isinstance(error, StreamUnavailable)
    assert isinstance(client_module.translate(requests.Timeout()), StreamUnavailable)


def test_seconds_until_reset_without_a_header() -> None:
    assert client_module.seconds_until_reset({}) == client_module.DEFAULT_RETRY_AFTER
    assert client_module.seconds_until_reset({"x-ratelimit-reset": "soon"}) == 5
    assert client_module.seconds_until_reset({"x-ratelimit-reset": "1"}) == 1
