"""pytest plugin (registered through the ``pytest11`` entry point): a Stream emulator for each test.

Any project with django-streaminbox and pytest-django installed gets the ``stream_emulator``
fixture::

    def test_sending(stream_emulator, client):
        ...  # the app's Stream calls go to the emulator; nothing leaves the machine
        assert [r["path"] for r in stream_emulator.requests()] == ["/users"]

One emulator is started per test session (in its own thread, on a free loopback port) and reset
before
every test that asks for it: empty state, request log and faults cleared. For the duration of the
test
``STREAMINBOX_BASE_URL``, ``STREAMINBOX_API_KEY`` and ``STREAMINBOX_API_SECRET`` point at it
(through
pytest-django's ``settings`` fixture, so they are restored afterwards) and the cache named by
``STREAMINBOX_CACHE`` (``"default"``) is cleared, so "already synced" fingerprints never leak
between
tests. The fixture's value is the :class:`~django_streaminbox.emulator.Emulator` itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from django_streaminbox.emulator.server import Emulator

EMULATOR_API_KEY = "streaminbox-test-key"
#: At least 32 bytes: PyJWT warns about shorter HMAC keys, and test suites turn warnings into
#: errors.
EMULATOR_API_SECRET = "streaminbox-test-secret-0123456789abcdef"


@pytest.fixture(scope="session")
def stream_emulator_session() -> Iterator[Emulator]:
    """The one emulator of the test session (use ``stream_emulator`` in tests)."""
    # Imported here, not at the top: projects that never ask for the fixture never load aiohttp.
    from django_streaminbox.emulator.server import Emulator

    emulator = Emulator(api_key=EMULATOR_API_KEY, api_secret=EMULATOR_API_SECRET, port=0)
    emulator.start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def stream_emulator(stream_emulator_session: Emulator, settings: Any) -> Emulator:
    """A running Stream emulator with fresh state, and the ``STREAMINBOX_*`` settings pointing at
    it."""
    from django.core.cache import caches

    emulator = stream_emulator_session
    if not emulator.running:  # a test stopped it: bring it back on the same port
        emulator.start()
    emulator.reset()
    settings.STREAMINBOX_BASE_URL = emulator.url
    settings.STREAMINBOX_API_KEY = emulator.api_key
    settings.STREAMINBOX_API_SECRET = emulator.api_secret
    caches[getattr(settings, "STREAMINBOX_CACHE", "default")].clear()
    return emulator
