"""Settings of the real-worker test: the test site, a database file, and the django-tasks-db queue.

Read by subprocesses (``migrate``, a shell that saves users, ``db_worker``), so everything that
differs per run comes from the environment the test sets.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]  # noqa: F405
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["WORKER_TEST_DB"],
        "OPTIONS": {"timeout": 20},
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

STREAMINBOX_SYNC_BACKEND = "task"
STREAMINBOX_BASE_URL = os.environ["STREAMINBOX_BASE_URL"]
STREAMINBOX_API_KEY = os.environ["STREAMINBOX_API_KEY"]
STREAMINBOX_API_SECRET = os.environ["STREAMINBOX_API_SECRET"]
STREAMINBOX_TIMEOUT = 2.0
