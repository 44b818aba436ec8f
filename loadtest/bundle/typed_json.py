"""One small validator for typed JSON objects: run.json, Locust's locust.json entries, history.json.

A reader declares the kind of each field it knows and gets the values checked and converted, or a
BundleError of one line naming the file (``where``), the field and the problem::

    read_fields({"users": 10, "tags": ["a"]}, {"users": "int", "tags": "strings"}, "run.json")
    == {"users": 10, "tags": ("a",)}
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

from loadtest.bundle.files import BundleError, quoted

MAX_COUNT = 10**15
"""The largest count read: a billion requests a second for eleven days. Larger is not a real run."""
MAX_NUMBER = 1e15
"""The largest magnitude of any other number read (milliseconds, seconds, epoch times)."""
MAX_INT = 2**64
"""The largest magnitude of an integer setting (a seed)."""


NUMBER_TEXT = re.compile(r"[0-9]{1,16}(\.[0-9]{1,24})?([eE][-+]?[0-9]{1,3})?")
"""A number written as text (a CSV cell, a histogram's key), as Locust writes it (``repr`` of a
float: up to 17 significant digits): ``float`` alone would also take ``１２``, ``1_0`` and ``nan``."""


def is_count(value: Any) -> bool:
    """A whole number from 0 to MAX_COUNT (a JSON ``true`` is not one)."""
    return _is_int(value) and 0 <= value <= MAX_COUNT


def is_number(value: Any) -> bool:
    """A finite JSON number (not a boolean) of magnitude at most MAX_NUMBER."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_NUMBER
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INT


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


KINDS: Mapping[str, tuple[str, Callable[[Any], bool], Callable[[Any], Any]]] = {
    "int": ("an integer", _is_int, int),
    "count": ("a whole number >= 0 (at most 1e15)", is_count, int),
    "number": ("a number (at most 1e15 either way)", is_number, float),
    "non_negative": ("a finite number >= 0 (at most 1e15)", lambda v: is_number(v) and v >= 0, float),
    "bool": ("true or false", lambda v: isinstance(v, bool), bool),
    "str": ("a string", lambda v: isinstance(v, str), str),
    "time": ("an ISO-8601 time", lambda v: isinstance(v, str), str),
    "strings": ("a list of strings", _is_strings, tuple),
    "objects": ("a list of objects", _is_objects, lambda v: tuple(dict(item) for item in v)),
}
"""Each kind: how a message names it, its check, and its conversion (``time`` is parsed after)."""


def expect_object(data: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise BundleError(f"{where}: expected a JSON object, found {type(data).__name__}")
    return data


def bad_field(where: str, key: str, wanted: str, value: Any) -> BundleError:
    return BundleError(f"{where}: field {key!r} must be {wanted}, got {quoted(value)}")


def read_fields(
    data: Any, kinds: Mapping[str, str], where: str, *, required: Collection[str] = ()
) -> dict[str, Any]:
    """The fields of ``kinds`` that ``data`` (a JSON object) has, checked and converted.

    A null is None, unless the field is ``required``: a required field must be there and not null.
    Fields ``kinds`` does not name are ignored.
    """
    item = expect_object(data, where)
    values: dict[str, Any] = {}
    for key, kind in kinds.items():
        if key not in item:
            if key in required:
                raise BundleError(f"{where}: field {key!r} is missing")
            continue
        values[key] = read_value(item[key], kind, where, key, required=key in required)
    return values


def read_value(value: Any, kind: str, where: str, key: str, *, required: bool = False) -> Any:
    """One field's value of ``kind``, converted; None for a null that is allowed."""
    if value is None and not required:
        return None
    wanted, check, convert = KINDS[kind]
    if not check(value):
        raise bad_field(where, key, wanted, value)
    if kind == "time":
        return parse_time(value, where, key)
    return convert(value)


def parse_time(value: str, where: str, key: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BundleError(f"{where}: field {key!r} is not an ISO-8601 time: {quoted(value)}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime | None) -> str | None:
    """A time as run.json and history.json write it: UTC, to the second, ``2026-11-25T11:34:00Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None
