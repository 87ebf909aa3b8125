"""``Emulator``: the Stream emulator in its own thread and event loop, for tests, demos and scripts.

::

    from django_streaminbox.emulator import Emulator

    with Emulator(api_key="key", api_secret="a-secret-of-at-least-32-bytes....") as emulator:
        client = stream_chat.StreamChat("key", "a-secret...", base_url=emulator.url)
        client.upsert_user({"id": "alice"})
        emulator.requests()   # [{"method": "POST", "path": "/users", "status": 201, ...}]

Everything that touches state runs on the emulator's loop (methods called from other threads are
handed over and waited for), so the object is safe to use from test code and from other threads.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from .app import build_app
from .context import Config, Emulation
from .events import EventBus
from .websocket import CLOSE_GOING_AWAY

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_API_KEY = "emulator-api-key"
DEFAULT_API_SECRET = "emulator-api-secret-change-me-0123456789"
#: The JS SDK rewrites ``:3030`` to ``:8800`` for its WebSocket, so the emulator refuses that port.
FORBIDDEN_PORT = 3030
START_TIMEOUT = 10.0


class Emulator:
    """A running Stream Chat emulator.

    :param api_key: the app key clients must send (``api_key`` query parameter).
    :param api_secret: the HS256 secret tokens are signed with (use 32 bytes or more for PyJWT).
    :param host: interface to listen on; loopback by default.
    :param port: 0 picks a free port (fixed after the first start, so ``stop()``/``start()`` keep
    it).
    :param data_file: keep state in this JSON file across restarts (loaded on start, saved on stop
    and
        about once a second while something changes).
    :param allow_dev_tokens: accept JS ``DevToken``s, like an app with "Disable Auth Checks" on.
    :param enforce_rate_limits: answer 429 (code 9) beyond Stream's per-endpoint limits.
    :param heartbeat_interval: seconds of silence after which a socket gets a ``health.check``.
    :param webhook_retry_delay: seconds between two attempts of an outgoing webhook.
    """

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        data_file: str | os.PathLike[str] | None = None,
        allow_dev_tokens: bool = False,
        enforce_rate_limits: bool = False,
        heartbeat_interval: float = 30.0,
        webhook_retry_delay: float = 1.0,
    ) -> None:
        if port == FORBIDDEN_PORT:
            raise ValueError(
                "port 3030 cannot be used: the JS SDK rewrites it to 8800 for WebSockets"
            )
        self.host = host
        self.port = port
        self.data_file = Path(data_file) if data_file is not None else None
        self.emulation = Emulation(
            Config(
                api_key=api_key,
                api_secret=api_secret,
                allow_dev_tokens=allow_dev_tokens,
                enforce_rate_limits=enforce_rate_limits,
                heartbeat_interval=heartbeat_interval,
                webhook_retry_delay=webhook_retry_delay,
            )
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._loaded = False

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.emulation.config.api_key

    @property
    def api_secret(self) -> str:
        return self.emulation.config.api_secret

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` without a trailing slash: the SDKs' ``base_url``/``baseURL``."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def bus(self) -> EventBus:
        """The internal event bus: ``emulator.bus.subscribe(callback)`` sees every event."""
        return self.emulation.bus

    def start(self) -> Emulator:
        """Start serving (returns once the port is listening); a no-op when already running."""
        if self.running:
            return self
        if self.data_file is not None and not self._loaded:
            self._load()
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="stream-emulator", daemon=True
        )
        self._thread.start()
        if not ready.wait(START_TIMEOUT):  # pragma: no cover - the loop never came up
            raise RuntimeError("the Stream emulator did not start")
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close every socket and stop serving; state stays in memory (and in ``data_file``)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = None
        self._loop = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(
            build_app(self.emulation), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
            loop.run_until_complete(site.start())
            server = site._server
            assert isinstance(server, asyncio.base_events.Server)
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as error:
            failure.append(error)
            loop.run_until_complete(runner.cleanup())
            loop.close()
            ready.set()
            return
        self._loop = loop
        saver = loop.create_task(self._autosave()) if self.data_file is not None else None
        ready.set()
        try:
            loop.run_forever()
        finally:
            if saver is not None:
                saver.cancel()
            self.emulation.hub.drop_all(code=CLOSE_GOING_AWAY)
            loop.run_until_complete(self.emulation.webhooks.close())
            loop.run_until_complete(asyncio.sleep(0.05))
            loop.run_until_complete(runner.cleanup())
            if self.data_file is not None:
                self._save()
            loop.close()

    # -- calling into the loop --------------------------------------------------------------------

    def _call(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the emulator's loop (or right here when it is not running)."""
        loop = self._loop
        if loop is None or not self.running:
            return function()
        if threading.current_thread() is self._thread:
            return function()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(function())
            except BaseException as error:
                future.set_exception(error)

        loop.call_soon_threadsafe(run)
        return future.result(timeout=START_TIMEOUT)

    # -- controls (the same as /_emulator/ over HTTP) ---------------------------------------------

    def reset(self) -> None:
        """Empty state; clear the request log, faults and rate-limit counters; close all sockets."""
        self._call(self.emulation.reset)

    def requests(self) -> list[dict[str, Any]]:
        """Every API call so far, in order: ``{"method", "path", "status", "query", "body",
        ...}``."""
        return self._call(lambda: [dict(entry) for entry in self.emulation.request_log])

    def clear_requests(self) -> None:
        self._call(self.emulation.request_log.clear)

    def set_faults(self, **spec: Any) -> None:
        """Replace the injected faults: ``latency_ms``, ``error_rate``, ``status``, ``down``,
        ``rate_limit`` (``{"UpdateUsers": 2, "window_seconds": 60}``), ``seed``."""
        self._call(lambda: self.emulation.faults.configure(spec))

    def clear_faults(self) -> None:
        self._call(self.emulation.faults.clear)

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """Every outgoing webhook so far: ``{"id", "url", "type", "payload", "attempts", ...}``."""
        return self._call(lambda: [d.as_dict() for d in self.emulation.webhooks.deliveries])

    def wait_for_webhooks(self, timeout: float = 20.0) -> None:
        """Block until every webhook started so far was delivered or given up."""
        loop = self._loop
        if loop is not None and self.running:
            asyncio.run_coroutine_threadsafe(self.emulation.webhooks.wait(), loop).result(timeout)

    def state(self) -> dict[str, Any]:
        """A JSON snapshot of everything stored (the ``--data`` file format)."""
        return self._call(self.emulation.state.to_json)

    # -- persistence ------------------------------------------------------------------------------

    def _load(self) -> None:
        self._loaded = True
        assert self.data_file is not None
        if not self.data_file.exists():
            return
        try:
            data = json.loads(self.data_file.read_text(encoding="utf-8"))
            self.emulation.state.load_json(data)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(
                f"{self.data_file} is not a Stream emulator data file: {error}"
            ) from None

    def _save(self) -> None:
        assert self.data_file is not None
        temporary = self.data_file.with_name(self.data_file.name + ".tmp")
        temporary.write_text(json.dumps(self.emulation.state.to_json()), encoding="utf-8")
        temporary.replace(self.data_file)
        self.emulation.dirty = False

    async def _autosave(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self.emulation.dirty:
                with contextlib.suppress(OSError):
                    self._save()
