from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreamInboxConfig(AppConfig):
    """Wires the package in at start-up; nothing else happens at import time."""

    name = "django_streaminbox"
    verbose_name = _("Stream inbox")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks, conf, notifications, receivers  # noqa: F401  (conf registers defaults)

        receivers.connect()
        notifications.connect()
