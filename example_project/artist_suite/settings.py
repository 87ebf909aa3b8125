"""Settings of the example site, The Artist Suite.

The Stream credentials come from the environment. With ``STREAMINBOX_API_KEY`` unset the site talks
to the local emulator (``manage.py demo`` starts it) with a fixed development key and secret; with
``STREAMINBOX_API_KEY``, ``STREAMINBOX_API_SECRET`` (and optionally ``STREAMINBOX_BASE_URL``) set,
the very same site runs on a real Stream app. Nothing else changes between the two.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-only-" + "not-a-secret-" * 4)
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_streaminbox",
    "people",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "artist_suite.urls"
WSGI_APPLICATION = "artist_suite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "people.context_processors.demo",
            ]
        },
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DATABASE", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"

STATIC_URL = "/static/"
STATICFILES_DIRS: list[str | Path | tuple[str, str | Path]] = [BASE_DIR / "static"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- django-streaminbox ----------------------------------------------------------------------

#: The emulator's development credentials: fixed, so that the emulator's data file and the site
#: agree across restarts. Never use them on a real Stream app.
DEMO_API_KEY = "artist-suite-demo-key"
DEMO_API_SECRET = "artist-suite-demo-secret-for-the-local-emulator-only"
DEMO_EMULATOR_PORT = int(os.environ.get("DEMO_EMULATOR_PORT", "8765"))

STREAMINBOX_API_KEY = os.environ.get("STREAMINBOX_API_KEY", "")
ON_EMULATOR = not STREAMINBOX_API_KEY

if ON_EMULATOR:
    STREAMINBOX_API_KEY = DEMO_API_KEY
    STREAMINBOX_API_SECRET = DEMO_API_SECRET
    STREAMINBOX_BASE_URL = os.environ.get(
        "STREAMINBOX_BASE_URL", f"http://127.0.0.1:{DEMO_EMULATOR_PORT}"
    )
    # The offline browser bundle of the Stream JS SDK (``make sdk``), served as a static file.
    SDK_BUNDLE_DIR = REPO_DIR / "build" / "sdk"
    if SDK_BUNDLE_DIR.is_dir():
        STATICFILES_DIRS.append(("sdk", SDK_BUNDLE_DIR))
    STREAMINBOX_JS_SDK_URL = STATIC_URL + "sdk/stream-chat.js"
else:
    STREAMINBOX_API_SECRET = os.environ.get("STREAMINBOX_API_SECRET", "")
    STREAMINBOX_BASE_URL = os.environ.get("STREAMINBOX_BASE_URL", "")

STREAMINBOX_BASE_TEMPLATE = "base.html"
STREAMINBOX_BASE_BLOCK = "content"
# What Stream shows of a user: the name and the role from the profile (see people/stream.py).
STREAMINBOX_USER_DATA = "people.stream.user_data"
