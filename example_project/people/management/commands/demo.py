"""``manage.py demo``: the whole demo in one command (``make demo`` calls it).

Migrates, starts the Stream emulator (unless real keys are in the environment: then it talks to that
Stream app instead), seeds the demo members and conversations where they are missing, starts the
development server, prints the URL and the logins, and stops everything on Ctrl-C. A second run
reuses the database and the emulator's data file, so it starts in seconds, conversations intact.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

from people.demo_data import DEMO_PEOPLE

HOST = "127.0.0.1"
STARTUP_TIMEOUT = 30.0


class Command(BaseCommand):
    help = "Run the example site and the Stream emulator together, with demo members seeded."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="The site's port (8000).")
        parser.add_argument(
            "--emulator-port", type=int, default=8765, help="The Stream emulator's port (8765)."
        )
        parser.add_argument(
            "--emulator-data",
            default=str(Path(settings.BASE_DIR) / "emulator-data.json"),
            help="The emulator's data file: conversations survive restarts in it.",
        )
        parser.add_argument("--no-seed", action="store_true", help="Do not seed demo data.")

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        emulator_port: int = options["emulator_port"]
        if emulator_port == 3030:
            raise CommandError("Port 3030 cannot be used: the Stream JS SDK rewrites it to 8800.")
        on_emulator = bool(getattr(settings, "ON_EMULATOR", False))
        ports = [port, emulator_port] if on_emulator else [port]
        for wanted in ports:
            ensure_free(wanted)
        if on_emulator:
            check_sdk_bundle()

        children: list[subprocess.Popen[bytes]] = []
        stop_on_signals()
        try:
            server_env = dict(os.environ)
            if on_emulator:
                # Started first: it boots while the database is migrated.
                children.append(start_emulator(emulator_port, options["emulator_data"]))
            call_command("migrate", interactive=False, verbosity=0)
            if on_emulator:
                emulator_url = f"http://{HOST}:{emulator_port}"
                wait_for_port(emulator_port, children[-1], "the Stream emulator")
                server_env["STREAMINBOX_BASE_URL"] = emulator_url
                with override_settings(STREAMINBOX_BASE_URL=emulator_url):
                    self.seed(options)
            else:
                self.seed(options)
            children.append(start_server(port, server_env))
            wait_for_port(port, children[-1], "the development server")
            self.print_banner(port, on_emulator)
            wait_for_first_exit(children)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the demo...")
        finally:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan a child
            for child in children:
                stop(child)

    def seed(self, options: dict[str, Any]) -> None:
        if not options["no_seed"]:
            call_command("seed_demo", quiet=True, stdout=self.stdout)

    def print_banner(self, port: int, on_emulator: bool) -> None:
        where = "the local Stream emulator" if on_emulator else "your Stream app"
        lines = [
            "",
            self.style.SUCCESS(f"The Artist Suite is running on {where}: http://{HOST}:{port}/"),
            "",
            "Log in as any of these (two browsers = two people talking):",
        ]
        for person in DEMO_PEOPLE:
            lines.append(
                f"  {person.username:<8} password {person.password:<14} {person.full_name}, "
                f"{person.role}"
            )
        servers = "the site and the emulator" if on_emulator else "the site"
        lines += ["", f"Press Ctrl-C to stop {servers}.", ""]
        self.stdout.write("\n".join(lines))


def ensure_free(port: int) -> None:
    """Fail early with a useful message rather than halfway through starting two servers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise CommandError(
                f"Port {port} on {HOST} is already in use ({error.strerror}). Stop what uses it, "
                "or pick other ports: make demo PORT=8001 EMULATOR_PORT=8766"
            ) from None


def check_sdk_bundle() -> None:
    bundle = Path(settings.REPO_DIR) / "build" / "sdk" / "stream-chat.js"
    if not bundle.is_file():
        raise CommandError(f"{bundle} is missing: build it with `make sdk` (or run `make demo`).")


def start_emulator(port: int, data_file: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "django_streaminbox.emulator",
        "--host", HOST, "--port", str(port),
        "--api-key", settings.STREAMINBOX_API_KEY,
        "--api-secret", settings.STREAMINBOX_API_SECRET,
        "--data", data_file,
    ]  # fmt: skip
    # A session of its own: Ctrl-C reaches this command, which then stops the children in order.
    return subprocess.Popen(command, start_new_session=True)


def start_server(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    manage = Path(settings.BASE_DIR) / "manage.py"
    command = [sys.executable, str(manage), "runserver", f"{HOST}:{port}"]
    return subprocess.Popen(command, env=env, start_new_session=True)


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"{what} exited with status {process.returncode} while starting.")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise CommandError(f"{what} did not listen on {HOST}:{port} within {STARTUP_TIMEOUT:.0f} s.")


def wait_for_first_exit(children: list[subprocess.Popen[bytes]]) -> None:
    """Run until Ctrl-C, or until one server dies (then the demo is broken: stop the other too)."""
    while all(child.poll() is None for child in children):
        time.sleep(0.3)
    raise CommandError("A demo server stopped unexpectedly; see its output above.")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a child and everything it started (runserver's autoreloader runs a second process).

    SIGTERM, which the emulator takes as Ctrl-C (it saves its data file on the way out).
    """
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
    except ProcessLookupError:
        pass


def stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and ``kill`` (SIGTERM) stop the demo cleanly.

    Installed explicitly: a process started in the background by a non-interactive shell inherits
    an ignored SIGINT, and Python would then never raise KeyboardInterrupt.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
