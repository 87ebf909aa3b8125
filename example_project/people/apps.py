from __future__ import annotations

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """Profiles of the site's members: artists and the people they work with."""

    name = "people"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from .models import Profile

        post_save.connect(resync_member, sender=Profile, dispatch_uid="people.resync_member")


def resync_member(sender: type, instance: object, raw: bool = False, **kwargs: object) -> None:
    """A changed role changes what Stream shows (people/stream.py): sync the member again."""
    if raw:
        return
    from django_streaminbox.sync import schedule

    schedule(instance.user)  # type: ignore[attr-defined]
