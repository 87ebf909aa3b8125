"""Run the Node scripts in this folder against an emulator and hand their JSON result to pytest.

The scripts print exactly one JSON line on stdout; anything else (SDK warnings) goes to stderr,
which is attached to the failure message so a broken run explains itself.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

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
    pauses: dict[str, Callable[[], object]] | None = None,
) -> dict[str, Any]:
    """Run `node tests/js/<script> <args>` against `emulator` and return its parsed JSON result.

    When the script prints `PAUSE <name>`, `pauses[name]()` runs here (e.g. restart the emulator)
    and the script is answered `CONTINUE <name>` on stdin.
    """
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
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            [node, str(HERE / script), *args],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        try:
            stdout = _converse(process, pauses or {}, time.monotonic() + timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            stderr.seek(0)
            pytest.fail(
                f"node {script} ran longer than {timeout} s\nstderr:\n{_tail(stderr.read())}"
            )
        stderr.seek(0)
        errors = _tail(stderr.read())
    lines = [line for line in stdout if line.startswith("{")]
    if not lines:
        pytest.fail(
            f"node {script} printed no JSON result (exit {process.returncode})\n"
            f"stdout:\n{_tail(chr(10).join(stdout))}\nstderr:\n{errors}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    result["exit_code"] = process.returncode
    result["stderr"] = errors
    return result


def _converse(
    process: subprocess.Popen[str], pauses: dict[str, Callable[[], object]], deadline: float
) -> list[str]:
    """Collect stdout lines until the process exits, answering `PAUSE <name>` lines on the way."""
    assert process.stdout is not None and process.stdin is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True)
    reader.start()
    collected: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise subprocess.TimeoutExpired(process.args, 0)
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            raise subprocess.TimeoutExpired(process.args, 0) from None
        if line is None:
            break
        name = line[len("PAUSE ") :] if line.startswith("PAUSE ") else None
        if name is None:
            collected.append(line)
            continue
        pauses[name]()  # a KeyError here names a pause this test does not handle
        process.stdin.write(f"CONTINUE {name}\n")
        process.stdin.flush()
    process.stdin.close()
    process.wait(timeout=max(1.0, deadline - time.monotonic()))
    return collected


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _tail(text: str | bytes | None, lines: int = 40) -> str:
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "\n".join((text or "").splitlines()[-lines:])
