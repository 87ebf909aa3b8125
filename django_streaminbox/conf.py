"""Every ``STREAMINBOX_*`` setting and its default.

Read settings at call time (``get_setting("TIMEOUT")`` or ``settings.STREAMINBOX_TIMEOUT``),
never copy them into module globals: ``override_settings`` in tests and per-deployment changes
must be seen. Every setting here is documented in README.md's settings reference (a test keeps
the two in step).
"""

from __future__ import annotations

from typing import Any

from appconf import AppConf
from django.conf import settings


def get_setting(name: str) -> Any:
    """``settings.STREAMINBOX_<name>``, read now: for code that mypy's settings plugin checks."""
    return getattr(settings, f"STREAMINBOX_{name}")


class StreamInboxConf(AppConf):  # type: ignore[misc]  # appconf is untyped
    #: Stream app credentials. Empty by default so that ``check`` and ``collectstatic`` run
    #: without them.
    API_KEY = ""
    API_SECRET = ""
    #: Where the Stream API lives. Empty means Stream's own service; the emulator's URL for
    #: local work.
    BASE_URL = ""
    #: Seconds any one call to Stream may take before it is given up.
    TIMEOUT = 3.0
    #: Lifetime of the user tokens issued by the token endpoint, in seconds.
    TOKEN_TTL = 60 * 60
    #: Channel type and id prefix of the one-to-one conversations.
    CHANNEL_TYPE = "messaging"
    CHANNEL_ID_PREFIX = "dm"
    #: Dotted paths to callables: what a Django user is to Stream, and who may message whom.
    USER_ID = "django_streaminbox.users.default_user_id"
    USER_DATA = "django_streaminbox.users.default_user_data"
    CAN_MESSAGE = "django_streaminbox.users.default_can_message"
    #: Keep Stream's copy of each user in step on save and delete.
    SYNC_ON_SAVE = True
    #: What happens in Stream when a Django user is deleted: "deactivate", "delete",
    #: "hard_delete" or "".
    ON_USER_DELETE = "deactivate"
    #: Alias of the Django cache that keeps sync fingerprints, webhook ids and notification
    #: quiet periods.
    CACHE = "default"
    #: Where user sync runs: "on_commit" (after the transaction commits, in the request) or "task"
    #: (enqueued through Django's Tasks framework, on the TASK_BACKEND alias and TASK_QUEUE queue).
    SYNC_BACKEND = "on_commit"
    TASK_BACKEND = "default"
    TASK_QUEUE = "default"
    #: Dotted path to ``callable(stream_user_id) -> user | None``, the reverse of USER_ID, used
    #: by webhook events (``event.user``), email notifications and the channel endpoint. Empty:
    #: the user whose primary key is that id.
    USER_LOOKUP = ""
    #: Webhooks: the largest body accepted (gzipped or inflated), and how long a delivered
    #: ``X-Webhook-Id`` is remembered (in the CACHE alias) so that Stream's retries are not
    #: processed twice.
    WEBHOOK_MAX_BYTES = 2 * 1024 * 1024
    WEBHOOK_ID_TTL = 60 * 60
    #: Email offline members about new messages (on the ``message.new`` webhook), at most once per
    #: conversation per EMAIL_QUIET_PERIOD seconds; EMAIL_PREFERENCE is the dotted path to
    #: ``callable(user, event) -> "message" | "notice" | "none"`` (see
    #: django_streaminbox.notifications).
    EMAIL_NOTIFICATIONS = False
    EMAIL_QUIET_PERIOD = 15 * 60
    EMAIL_PREFERENCE = "django_streaminbox.notifications.default_email_preference"

    #: The inbox page: the site template it extends and the block of it that the inbox fills.
    BASE_TEMPLATE = "streaminbox/base.html"
    BASE_BLOCK = "content"
    #: Where the browser loads the Stream JS SDK from (an ES module): pinned on a public CDN by
    #: default; point it at a bundle you serve yourself for offline use or a stricter CSP.
    JS_SDK_URL = "https://cdn.jsdelivr.net/npm/stream-chat@9.53.0/+esm"

    class Meta:
        prefix = "STREAMINBOX"
