"""Starting the emulator from a shell (``python -m``) and from Django (``manage.py``)."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError
from stream_chat import StreamChat

from django_streaminbox.emulator import cli
from django_streaminbox.management.commands.streaminbox_emulator import Command

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-tests-secret-0123456789abcdefghijkl"


def test_python_dash_m_prints_its_url_and_serves(tmp_path: Path) -> None:
    data = tmp_path / "state.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "django_streaminbox.emulator",
            "--port",
            "0",
            "--api-key",
            "k",
            "--api-secret",
            SECRET,
            "--data",
            str(data),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("Stream emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        StreamChat("k", SECRET, base_url=url).upsert_user({"id": "alice"})
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
    assert "alice" in data.read_text()


def test_python_dash_m_reports_a_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django_streaminbox.emulator", "--port", "3030"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "3030" in result.stderr


def _serve_in_thread(target: object) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def _wait_for_line(out: io.StringIO) -> str:
    deadline = time.monotonic() + 10
    while "listening" not in out.getvalue():
        assert time.monotonic() < deadline, "the emulator never said it was listening"
        time.sleep(0.02)
    return out.getvalue().strip().rsplit(" ", 1)[1]


def test_cli_serve_until_stopped() -> None:
    out = io.StringIO()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    options = parser.parse_args(["--port", "0", "--rate-limits", "--allow-dev-tokens"])
    thread, stop = _serve_in_thread(lambda event: cli.serve(options, out, event))
    url = _wait_for_line(out)
    assert requests.get(url + "/nothing", timeout=5).status_code == 404
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_cli_main_returns_1_on_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--port", "3030"]) == 1
    assert "3030" in capsys.readouterr().err


def test_management_command_uses_the_streaminbox_settings(settings: object) -> None:
    settings.STREAMINBOX_API_KEY = "site-key"  # type: ignore[attr-defined]
    settings.STREAMINBOX_API_SECRET = SECRET  # type: ignore[attr-defined]
    settings.STREAMINBOX_BASE_URL = "http://127.0.0.1:0"  # type: ignore[attr-defined]
    out = io.StringIO()

    def run(stop: threading.Event) -> None:
        Command.stop_event = stop
        try:
            call_command("streaminbox_emulator", "--port", "0", stdout=out)
        finally:
            Command.stop_event = None

    thread, stop = _serve_in_thread(run)
    url = _wait_for_line(out)
    try:
        assert StreamChat("site-key", SECRET, base_url=url).upsert_user({"id": "a"})
    finally:
        stop.set()
        thread.join(timeout=10)


def test_management_command_port_default(settings: object) -> None:
    from django_streaminbox.management.commands import streaminbox_emulator

    settings.STREAMINBOX_BASE_URL = "http://127.0.0.1:9123"  # type: ignore[attr-defined]
    assert streaminbox_emulator._port_from_settings() == 9123
    settings.STREAMINBOX_BASE_URL = "https://chat.stream-io-api.com"  # type: ignore[attr-defined]
    assert streaminbox_emulator._port_from_settings() == 8765


def test_management_command_errors_are_command_errors() -> None:
    with pytest.raises(CommandError, match="3030"):
        call_command("streaminbox_emulator", "--port", "3030")


def test_cli_main_serves_until_sigterm_and_restores_signal_handlers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os
    import signal

    before = signal.getsignal(signal.SIGTERM)
    seen: list[str] = []

    def poke() -> None:
        deadline = time.monotonic() + 10
        while "listening" not in "".join(seen) and time.monotonic() < deadline:
            time.sleep(0.05)
            seen.append(capsys.readouterr().out)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=poke, daemon=True)
    killer.start()
    assert cli.main(["--port", "0", "--api-secret", SECRET]) == 0
    killer.join(timeout=10)
    assert "Stream emulator listening on http://127.0.0.1:" in "".join(seen)
    assert signal.getsignal(signal.SIGTERM) is before
