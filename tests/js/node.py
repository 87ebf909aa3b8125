"""Run the Node scripts in this folder against an emulator and hand their JSON result to pytest.

The scripts print exactly one JSON line on stdout; anything else (SDK warnings) goes to stderr,
which is attached to the failure message so a broken run explains itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from django_streaminbox.emulator import Emulator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SDK_PACKAGE = ROOT / "node_modules" / "stream-chat" / "package.json"

API_KEY = "js-sdk-key"
API_SECRET = "js-sdk-secret-" + "n" * 32


def node_binary() -> str:
    """The `node` executable, or skip: these tests need Node 20 and `npm ci` (make install)."""
    node = shutil.which("node")
    if node is None or not SDK_PACKAGE.exists():
        pytest.skip("needs node and node_modules/stream-chat (run `make install`)")
    return node


def run_node(
    script: str,
    emulator: Emulator,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 90,
) -> dict[str, Any]:
    """Run `node tests/js/<script> <args>` against `emulator` and return its parsed JSON result."""
    node = node_binary()
    environment = {
        **os.environ,
        "STREAM_URL": emulator.url,
        "STREAM_KEY": API_KEY,
        "STREAM_SECRET": API_SECRET,
        **(env or {}),
    }
    # Either would make the SDK ignore baseURL (js:client.ts:495-511).
    for leak in ("STREAM_LOCAL_TEST_RUN", "STREAM_LOCAL_TEST_HOST"):
        environment.pop(leak, None)
    try:
        completed = subprocess.run(
            [node, str(HERE / script), *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"node {script} ran longer than {timeout} s\nstderr:\n{_tail(expired.stderr)}")
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if not lines:
        pytest.fail(
            f"node {script} printed no JSON result (exit {completed.returncode})\n"
            f"stdout:\n{_tail(completed.stdout)}\nstderr:\n{_tail(completed.stderr)}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    result["exit_code"] = completed.returncode
    result["stderr"] = _tail(completed.stderr)
    return result


def _tail(text: str | bytes | None, lines: int = 40) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").splitlines()[-lines:])
