"""What the newcomer tests share: a clean environment, free ports, servers started and stopped.

These tests play a developer on a fresh machine, so nothing of this test run may leak into what they
start: no ``DJANGO_SETTINGS_MODULE``, no virtualenv on the ``PATH``, no ``make`` flags, no coverage
hooks. Only what a shell on a new machine has (and pip's and npm's configuration and caches, so that
installs are fast) is passed on.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
KEPT_VARIABLES = {"HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "CI", "TERM", "SSL_CERT_FILE"}
KEPT_PREFIXES = ("PIP_", "npm_config_", "NPM_CONFIG_", "REQUESTS_CA_BUNDLE")


def clean_env(**extra: str) -> dict[str, str]:
    """A shell's environment on a new machine: no virtualenv, no Django settings, no make flags."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in KEPT_VARIABLES or name.startswith(KEPT_PREFIXES)
    }
    path = [
        entry
        for entry in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
        if not (Path(entry) / "activate").exists()  # a virtualenv's bin directory
    ]
    env["PATH"] = os.pathsep.join(path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], timeout: float, log: Path | None = None
) -> float:
    """Seconds until ``url`` answers (any status); fails at once if the process dies first."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise AssertionError(
                f"exited with {process.returncode} before {url} answered" + tail(log)
            )
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return time.monotonic() - started
        except requests.ConnectionError:
            time.sleep(0.25)
    raise AssertionError(f"{url} did not answer within {timeout:.0f} s" + tail(log))


def tail(log: Path | None, lines: int = 40) -> str:
    if log is None or not log.exists():
        return ""
    return "\n--- last lines of the output ---\n" + "\n".join(
        log.read_text(errors="replace").splitlines()[-lines:]
    )


@contextmanager
def background(
    command: list[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in its own process group; on exit, Ctrl-C it (SIGINT) as a person would."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        interrupt(process)


def interrupt(process: subprocess.Popen[bytes], timeout: float = 20) -> int:
    """Ctrl-C the process group and wait; kill it if it will not stop. Returns the exit status."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        except ProcessLookupError:
            pass
    return int(process.returncode)


@dataclass
class Block:
    """A fenced code block of the README: its language and its dedented text."""

    language: str
    text: str

    @property
    def commands(self) -> list[str]:
        """The shell commands of a ``console`` block: its ``$ `` lines without the prompt."""
        return [line[2:] for line in self.text.splitlines() if line.startswith("$ ")]

    @property
    def target(self) -> str | None:
        """The file a Python or template block belongs to, named on its first line."""
        first = self.text.splitlines()[0].strip()
        match = re.fullmatch(r"#\s*(\S+)", first) or re.fullmatch(r"\{#\s*(\S+)\s*#\}", first)
        return match.group(1) if match else None


def quickstart_steps() -> list[list[Block]]:
    """The README's quickstart: each numbered step and the code blocks it holds, in order."""
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## Quickstart.*?$(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Quickstart' section"
    steps = re.split(r"^\d+\.\s", match.group(1), flags=re.MULTILINE)[1:]
    fence = re.compile(r"^([ ]*)```(\w+)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
    return [
        [Block(language, textwrap.dedent(body)) for _indent, language, body in fence.findall(step)]
        for step in steps
    ]
