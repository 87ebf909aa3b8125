from __future__ import annotations

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Profiles of the site's members: artists and the people they work with."""

    name = "people"
    default_auto_field = "django.db.models.BigAutoField"
