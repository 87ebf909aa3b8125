"""App-level endpoints: app settings (where webhooks are configured), ``/hi`` and
``/rate_limits``."""

from __future__ import annotations

from typing import Any

from .context import Call
from .errors import invalid
from .routes import route
from .state import parse_iso
from .validation import array, boolean, obj, string

#: App settings a caller may change with ``PATCH /app`` and the type each must have.
WRITABLE = {
    "webhook_url": str,
    "webhook_events": list,
    "event_hooks": list,
    "enable_hook_payload_compression": bool,
    "disable_auth_checks": bool,
    "disable_permissions_checks": bool,
    "multi_tenant_enabled": bool,
    "enforce_unique_usernames": str,
    "user_search_disallowed_roles": list,
    "sqs_url": str,
    "sns_topic_arn": str,
    "custom_action_handler_url": str,
    "before_message_send_hook_url": str,
    "image_upload_config": dict,
    "file_upload_config": dict,
}


def app_settings(call: Call) -> dict[str, Any]:
    """The stored settings with the defaults the SDKs read (upload configs) filled in."""
    settings = call.state.app_settings
    return {
        "name": "django-streaminbox emulator",
        "organization": "local",
        "webhook_url": settings.get("webhook_url", ""),
        "webhook_events": settings.get("webhook_events", []),
        "event_hooks": settings.get("event_hooks", []),
        "disable_auth_checks": call.emulation.config.allow_dev_tokens,
        "disable_permissions_checks": False,
        "multi_tenant_enabled": False,
        "file_upload_config": settings.get("file_upload_config", {}),
        "image_upload_config": settings.get("image_upload_config", {}),
        "policies": {},
        "grants": {},
        "revoke_tokens_issued_before": settings.get("revoke_tokens_issued_before"),
        **{k: v for k, v in settings.items() if k in WRITABLE},
    }


@route("GET", "/app", "GetApp")
async def get_app(call: Call) -> dict[str, Any]:
    return {"app": app_settings(call)}


@route("PATCH", "/app", "UpdateApp")
async def update_app(call: Call) -> dict[str, Any]:
    call.require_server()
    changes = {}
    for key, value in call.body.items():
        if key == "revoke_tokens_issued_before":
            continue
        expected = WRITABLE.get(key)
        if expected is None:
            raise invalid(f'"{key[:50]}" is not an app setting that can be changed')
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise invalid(f"{key} should be of type {expected.__name__}")
        changes[key] = value
    hooks: list[Any] = changes.get("event_hooks", [])  # type: ignore[assignment]
    if "revoke_tokens_issued_before" in call.body:
        revoke = call.body["revoke_tokens_issued_before"]
        if revoke is not None:
            try:
                parse_iso(string(revoke, "revoke_tokens_issued_before"))
            except ValueError:
                raise invalid("revoke_tokens_issued_before should be an RFC 3339 date") from None
        changes["revoke_tokens_issued_before"] = revoke
    for index, raw_hook in enumerate(hooks):
        hook = obj(raw_hook, f"event_hooks[{index}]")
        string(hook.get("hook_type", "webhook"), f"event_hooks[{index}].hook_type")
        array(hook.get("event_types", []), f"event_hooks[{index}].event_types")
        boolean(hook, "enabled", True)
    call.state.app_settings.update(changes)
    return {}


@route("GET", "/hi", "Hi")
async def hi(call: Call) -> dict[str, Any]:
    return {}


PLATFORMS = ("server_side", "android", "ios", "web")


@route("GET", "/rate_limits", "GetRateLimits")
async def rate_limits(call: Call) -> dict[str, Any]:
    wanted = [p for p in PLATFORMS if boolean(call.query, p)] or list(PLATFORMS)
    endpoints = [e for e in call.query.get("endpoints", "").split(",") if e] or None
    snapshot = call.emulation.rate_limiter.snapshot(endpoints)
    return {platform: snapshot for platform in wanted}
