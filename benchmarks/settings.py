"""Django settings for the benchmark site: the package, the baselines, and nothing else.

The harness and the WSGI server it starts share one SQLite file and reach the emulator through
environment variables set by the harness, so both processes see the same users and the same Stream.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SECRET_KEY = "benchmarks-only-not-secret-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "django_streaminbox",
]

MIDDLEWARE = [
    "benchmarks.middleware.worker_pid",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "benchmarks.urls"
WSGI_APPLICATION = "benchmarks.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(Path(__file__).resolve().parent / "templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("BENCH_DB", str(ROOT / "benchmarks" / "results" / "bench.sqlite3")),
        "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"},
        # Persistent connections, as production sites run: not one new connection per request.
        "CONN_MAX_AGE": 600,
    }
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions as sites that care about speed keep them: in the database (the record, which survives a
# restart and can be revoked), read through the cache, so that a request does not query the
# session table. With the plain "db" engine that query was a third of the floor's CPU per request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STATIC_URL = "/static/"
LOGIN_URL = "/login/"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

STREAMINBOX_API_KEY = os.environ.get("BENCH_API_KEY", "bench-api-key")
STREAMINBOX_API_SECRET = os.environ.get("BENCH_API_SECRET", "bench-api-secret-" + "s" * 32)
STREAMINBOX_BASE_URL = os.environ.get("BENCH_STREAM_URL", "")
STREAMINBOX_JS_SDK_URL = "/_bench/sdk/stream-chat.js"
