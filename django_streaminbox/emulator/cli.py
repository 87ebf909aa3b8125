"""The command line shared by ``python -m django_streaminbox.emulator`` and ``manage.py``.

Prints ``Stream emulator listening on http://HOST:PORT`` on one line once it serves, then serves
until
interrupted (Ctrl-C or SIGTERM), saving ``--data`` on the way out.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any, Protocol

from .server import DEFAULT_API_KEY, DEFAULT_API_SECRET, Emulator


def add_arguments(
    parser: argparse.ArgumentParser,
    *,
    api_key: str = DEFAULT_API_KEY,
    api_secret: str = DEFAULT_API_SECRET,
    port: int = 8765,
) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=port, help=f"port ({port}; 0 picks a free one)")
    parser.add_argument("--api-key", default=api_key, help="the app key clients must send")
    parser.add_argument(
        "--api-secret", default=api_secret, help="the secret tokens are signed with"
    )
    parser.add_argument(
        "--data", metavar="FILE", help="keep state in this JSON file across restarts"
    )
    parser.add_argument(
        "--allow-dev-tokens",
        action="store_true",
        help='accept JS DevTokens ("Disable Auth Checks")',
    )
    parser.add_argument(
        "--rate-limits", action="store_true", help="enforce Stream's per-endpoint rate limits (429)"
    )


class Output(Protocol):
    def write(self, text: str) -> object: ...

    def flush(self) -> object: ...


def serve(options: argparse.Namespace, out: Output, stop: threading.Event | None = None) -> None:
    """Run until ``stop`` is set (or SIGINT/SIGTERM when run from the main thread)."""
    emulator = Emulator(
        api_key=options.api_key,
        api_secret=options.api_secret,
        host=options.host,
        port=options.port,
        data_file=options.data,
        allow_dev_tokens=options.allow_dev_tokens,
        enforce_rate_limits=options.rate_limits,
    )
    stop = stop or threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():

        def interrupted(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, interrupted)
    try:
        emulator.start()
        try:
            out.write(f"Stream emulator listening on {emulator.url}\n")
            out.flush()
            while not stop.wait(0.2):
                pass
        finally:
            emulator.stop()
    finally:
        for number, handler in previous.items():  # leave the process as it was (tests, embedders)
            signal.signal(number, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m django_streaminbox.emulator",
        description="A local Stream Chat server for the official SDKs (REST + WebSocket).",
    )
    add_arguments(parser)
    options = parser.parse_args(argv)
    try:
        serve(options, sys.stdout)
    except (OSError, ValueError) as error:
        print(f"Stream emulator: {error}", file=sys.stderr)
        return 1
    return 0
