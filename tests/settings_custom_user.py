"""The test settings with a custom user model: a UUID primary key and the email as username.

``AUTH_USER_MODEL`` cannot change inside one test run, so ``make test`` runs ``tests/core`` a second
time with these settings (``pytest --ds=tests.settings_custom_user tests/core``), appending to the
same coverage data.
"""

from __future__ import annotations

from .settings import *  # noqa: F403

AUTH_USER_MODEL = "testapp.EmailUser"
