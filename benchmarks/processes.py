"""The processes a run needs: the emulator and the WSGI server, each in its own process.

Keeping the emulator, the server and the load generator in separate processes means none of them
competes with another for one interpreter's GIL: what is measured is the code, not the harness.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-api-key"
API_SECRET = "bench-api-secret-" + "s" * 32
LISTENING = re.compile(r"listening on (http://\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answered: it is up
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class ListeningProcess:
    """A server in a child process that prints ``... listening on http://HOST:PORT`` when up."""

    def __init__(self, cmd: list[str]) -> None:
        self.cmd = cmd
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.startup_s = 0.0

    def __enter__(self) -> ListeningProcess:
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT
        )
        assert self.proc.stdout is not None
        seen = []
        for line in self.proc.stdout:
            seen.append(line)
            match = LISTENING.search(line)
            if match:
                self.url = match.group(1).rstrip("/")
                break
        else:
            raise RuntimeError(
                f"{self.cmd} exited with {self.proc.wait()}: {''.join(seen)[-2000:]}"
            )
        self.startup_s = time.perf_counter() - started
        _drain(self.proc)  # so that a chatty server never blocks on a full pipe
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class EmulatorProcess(ListeningProcess):
    """``python -m django_streaminbox.emulator`` in a child process, driven by its HTTP controls."""

    def __init__(self, data: str | None = None) -> None:
        cmd = [sys.executable, "-m", "django_streaminbox.emulator", "--host", "127.0.0.1"]
        cmd += ["--port", "0", "--api-key", API_KEY, "--api-secret", API_SECRET]
        if data:
            cmd += ["--data", data]
        super().__init__(cmd)

    def __enter__(self) -> EmulatorProcess:
        super().__enter__()
        return self

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def reset(self) -> None:
        self._call("POST", "/_emulator/reset", {})

    def set_faults(self, **faults: Any) -> None:
        self._call("POST", "/_emulator/faults", faults)

    def clear_faults(self) -> None:
        self._call("POST", "/_emulator/faults", {})

    def requests(self) -> list[dict[str, Any]]:
        answer = self._call("GET", "/_emulator/requests")
        log: list[dict[str, Any]] = answer["requests"] if isinstance(answer, dict) else answer
        return [entry for entry in log if not entry["path"].startswith("/_emulator")]

    def clear_requests(self) -> None:
        self._call("DELETE", "/_emulator/requests")


class WSGIServer:
    """The benchmark site under gunicorn (threaded workers), as a site would serve it."""

    def __init__(self, env: dict[str, str], workers: int = 2, threads: int = 8) -> None:
        self.env = env
        self.workers = workers
        self.threads = threads
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WSGIServer:
        cmd = [sys.executable, "-m", "gunicorn", "benchmarks.wsgi:application"]
        cmd += ["--bind", f"127.0.0.1:{self.port}", "--worker-class", "gthread"]
        cmd += ["--workers", str(self.workers), "--threads", str(self.threads)]
        cmd += ["--keep-alive", "30", "--log-level", "warning", "--backlog", "256"]
        env = {**os.environ, **self.env, "DJANGO_SETTINGS_MODULE": "benchmarks.settings"}
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        wait_for_http(self.url + "/_bench/floor/token/")
        return self

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the server: master and workers."""
        assert self.proc is not None
        return sum(_cpu_seconds(pid) for pid in [self.proc.pid, *_children(self.proc.pid)])

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _cpu_seconds(pid: int) -> float:
    """utime + stime of one process from /proc (0 where /proc is not there)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drain(proc: subprocess.Popen[str]) -> None:
    import threading

    def run() -> None:
        assert proc.stdout is not None
        for _line in proc.stdout:
            pass

    threading.Thread(target=run, daemon=True).start()
