"""Stream's MongoDB-like filter and sort language, for ``query_users`` and ``query_channels``.

Filters are validated as they are evaluated; an unknown operator or a wrongly typed operand is a
code 4
error. Supported: implicit equality, ``$eq $ne $in $nin $gt $gte $lt $lte $exists $autocomplete
$contains $q`` and ``$and $or $nor``. A list-valued field (``members``, ``teams``) matches ``$in``
when
any element is in the operand and ``$eq`` when it equals the operand as a set.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .errors import invalid
from .state import parse_iso
from .validation import array, obj

MISSING = object()
Getter = Callable[[str], Any]

COMPARISONS = {"$gt", "$gte", "$lt", "$lte"}
OPERATORS = {"$eq", "$ne", "$in", "$nin", "$exists", "$autocomplete", "$contains", "$q"}
OPERATORS |= COMPARISONS


def matches(conditions: Any, get: Getter) -> bool:
    """Does the object behind ``get`` satisfy ``conditions``?"""
    conditions = obj(conditions, "filter_conditions")
    return all(_clause(key, value, get) for key, value in conditions.items())


def validate(conditions: Any) -> None:
    """Check a filter once up front, so an empty collection still rejects a bad filter."""
    matches(conditions, lambda field: MISSING)


def _clause(key: str, value: Any, get: Getter) -> bool:
    if key in ("$and", "$or", "$nor"):
        parts = [obj(part, key) for part in array(value, key)]
        results = [matches(part, get) for part in parts]
        if key == "$and":
            return all(results)
        if key == "$or":
            return any(results)
        return not any(results)
    if key.startswith("$"):
        raise invalid(f'unknown filter operator "{key[:50]}"')
    actual = get(key)
    if isinstance(value, dict) and value and all(k.startswith("$") for k in value):
        results = [_operator(op, operand, actual, key) for op, operand in value.items()]
        return all(results)
    return _equal(actual, value)


def _operator(op: str, operand: Any, actual: Any, field: str) -> bool:
    if op not in OPERATORS:
        raise invalid(f'unknown operator "{op[:50]}" for field "{field[:50]}"')
    if op == "$eq":
        return _equal(actual, operand)
    if op == "$ne":
        return not _equal(actual, operand)
    if op in ("$in", "$nin"):
        options = array(operand, f"{field}.{op}")
        found = any(_equal(actual, option) for option in options)
        return found if op == "$in" else not found
    if op == "$exists":
        if not isinstance(operand, bool):
            raise invalid(f"{field}.$exists should be a boolean")
        return (actual is not MISSING and actual is not None) == operand
    if op in ("$autocomplete", "$q"):
        if not isinstance(operand, str):
            raise invalid(f"{field}.{op} should be a string")
        return _autocomplete(actual, operand)
    if op == "$contains":
        return isinstance(actual, list) and operand in actual
    return _compare(op, actual, operand, field)


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list):
        if isinstance(expected, list):
            return sorted(map(json.dumps, actual)) == sorted(map(json.dumps, expected))
        return expected in actual
    if isinstance(actual, datetime) and isinstance(expected, str):
        return actual == _as_datetime(expected)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    return bool(actual == expected)


def _autocomplete(actual: Any, text: str) -> bool:
    """Stream matches the start of the value or of any word in it, ignoring case."""
    if not isinstance(actual, str) or not text:
        return False
    needle = text.lower()
    value = actual.lower()
    return value.startswith(needle) or any(word.startswith(needle) for word in value.split())


def _compare(op: str, actual: Any, operand: Any, field: str) -> bool:
    if isinstance(actual, datetime):
        if not isinstance(operand, str):
            raise invalid(f"{field}.{op} should be a date string")
        right: Any = _as_datetime(operand)
    elif isinstance(operand, (int, float, str)) and not isinstance(operand, bool):
        right = operand
    else:
        raise invalid(f"{field}.{op} should be a number, a string or a date")
    left = actual
    if left is MISSING or left is None:
        return False
    try:
        if op == "$gt":
            return bool(left > right)
        if op == "$gte":
            return bool(left >= right)
        if op == "$lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


def _as_datetime(text: str) -> datetime:
    try:
        moment = parse_iso(text)
    except ValueError:
        raise invalid(f'"{text[:50]}" is not a valid date') from None
    assert moment is not None
    return moment


def parse_sort(value: Any, allowed: Sequence[str] | None = None) -> list[tuple[str, int]]:
    """``[{"field": "created_at", "direction": -1}]`` -> ``[("created_at", -1)]``, validated."""
    if value is None:
        return []
    result = []
    for index, item in enumerate(array(value, "sort", maximum=5)):
        item = obj(item, f"sort[{index}]")
        field = item.get("field")
        direction = item.get("direction", 1)
        if not isinstance(field, str) or not field:
            raise invalid(f"sort[{index}].field should be a non-empty string")
        if direction not in (1, -1) or isinstance(direction, bool):
            raise invalid(f"sort[{index}].direction should be 1 or -1")
        if allowed is not None and field not in allowed and not field.isidentifier():
            raise invalid(f'cannot sort on "{field[:50]}"')
        result.append((field, direction))
    return result


def sort_key(value: Any) -> tuple[int, Any]:
    """Order values of mixed types the same way every time (numbers, then text, then the rest)."""
    if isinstance(value, bool):
        return (0, float(value))
    if isinstance(value, (int, float)):
        return (0, float(value))
    if isinstance(value, datetime):
        return (0, value.timestamp())
    if isinstance(value, str):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True, default=str))


def apply_sort(
    items: list[Any], order: list[tuple[str, int]], get: Callable[[Any, str], Any]
) -> None:
    """Stable multi-key sort in place; missing values go last whatever the direction."""
    for field, direction in reversed(order):

        def key(item: Any, field: str = field, direction: int = direction) -> tuple[int, Any]:
            value = get(item, field)
            present = value is not MISSING and value is not None
            flag = (1 if present else 0) if direction < 0 else (0 if present else 1)
            return (flag, sort_key(value) if present else (0, 0))

        items.sort(key=key, reverse=direction < 0)
