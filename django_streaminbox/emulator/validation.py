"""Small typed readers for untrusted JSON: each one either returns the right type or raises code 4.

Handlers never index a request body directly; they go through these, so a wrong type anywhere in a
payload is a Stream-style 400 and never a ``KeyError``/``TypeError`` turning into a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import invalid

USER_ID = re.compile(r"^[A-Za-z0-9@_-]{1,255}$")
CHANNEL_TYPE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHANNEL_ID = re.compile(r"^[A-Za-z0-9_!-]{1,64}$")
CUSTOM_DATA_LIMIT = 5 * 1024


def obj(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"{name} should be an object")
    return value


def opt_obj(container: dict[str, Any], key: str, name: str | None = None) -> dict[str, Any]:
    """``container[key]`` as an object; missing or null means empty."""
    value = container.get(key)
    return {} if value is None else obj(value, name or key)


def string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise invalid(f"{name} should be a string")
    return value


def opt_string(container: dict[str, Any], key: str, name: str | None = None) -> str | None:
    value = container.get(key)
    return None if value is None else string(value, name or key)


def boolean(container: dict[str, Any], key: str, default: bool = False) -> bool:
    value = container.get(key, default)
    if value is None:
        return default
    if isinstance(value, str) and value in ("true", "false"):  # query-string booleans
        return value == "true"
    if not isinstance(value, bool):
        raise invalid(f"{key} should be a boolean")
    return value


def integer(
    container: dict[str, Any], key: str, default: int, *, minimum: int = 0, maximum: int
) -> int:
    value = container.get(key, default)
    if value is None:
        return default
    if isinstance(value, str) and value.isdigit():  # query-string numbers
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(f"{key} should be an integer")
    if not minimum <= value <= maximum:
        raise invalid(f"{key} should be between {minimum} and {maximum}")
    return value


def array(value: Any, name: str, *, maximum: int | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise invalid(f"{name} should be an array")
    if maximum is not None and len(value) > maximum:
        raise invalid(f"{name} cannot contain more than {maximum} items")
    return value


def string_list(value: Any, name: str, *, maximum: int | None = None) -> list[str]:
    items = array(value, name, maximum=maximum)
    return [string(item, f"{name}[{index}]") for index, item in enumerate(items)]


def user_id(value: Any, name: str = "user_id") -> str:
    text = string(value, name)
    if not USER_ID.match(text):
        raise invalid(
            f'{name} "{text[:300]}" is not valid, it can only contain letters, numbers, '
            f'"@", "_" and "-" and at most 255 characters'
        )
    return text


def channel_type(value: Any) -> str:
    text = string(value, "type")
    if not CHANNEL_TYPE.match(text):
        raise invalid(f'channel type "{text[:100]}" is not valid')
    return text


def channel_id(value: Any) -> str:
    text = string(value, "id")
    if not CHANNEL_ID.match(text):
        raise invalid(
            f'channel id "{text[:100]}" is not valid, it can only contain letters, numbers, '
            f'"!", "_" and "-" and at most 64 characters'
        )
    return text


def check_custom_size(data: dict[str, Any], what: str) -> None:
    """Stream caps custom data at 5 KB per user, channel, member and message."""
    if len(json.dumps(data, separators=(",", ":"))) > CUSTOM_DATA_LIMIT:
        raise invalid(f"{what} custom data cannot be bigger than 5KB")
