"""WSGI entry point of the example site."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "artist_suite.settings")

application = get_wsgi_application()
