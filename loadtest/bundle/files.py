"""Reading and writing the bundle's files: one-line errors on read, atomic writes.

Every JSON file the gate and the GitHub side read (run.json, locust.json, history.json,
thresholds.json) is read by ``read_json`` here, as untrusted input: a pull request writes them, or
their contents, so the reader refuses before parsing what would hurt the parser (a file over its
size cap, nesting deeper than MAX_JSON_DEPTH, which Python's parser would recurse into) and, while
parsing, what Python's json would otherwise accept: ``NaN`` and ``Infinity`` (a limit of NaN turns
that limit off), ``1e400`` (infinity), integers of more than MAX_INT_DIGITS digits (Python
refuses over 4,300 with a ValueError of its own, and no count needs 20), and a key given twice in
one object (Python keeps the last: ``"interrupted": true, "interrupted": false`` would read as false).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

MiB = 1024 * 1024
MAX_FILE_BYTES = 64 * MiB
"""The size cap of a file the bundle readers read, unless they give a smaller one."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects read; our files need 8 (thresholds.json's layers)."""
MAX_INT_DIGITS = 20
"""Digits of the longest integer read: 2**64 has 20."""

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
"""Strings (skipped whole, brackets in them do not count) and brackets, for the depth check."""


class BundleError(ValueError):
    """Results cannot be read; the message is one line naming the file, the line or field, and the problem."""


def read_text(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 file of at most ``max_bytes``, checked before it is read whole."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BundleError(f"{path}: {size:,} bytes, more than the {max_bytes:,} this file may have")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BundleError(f"{path}: a folder, not a file") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read: {exc.strerror}") from None
    if len(data) > max_bytes:  # it grew since the stat
        raise BundleError(f"{path}: more than the {max_bytes:,} bytes this file may have")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def read_json(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """A JSON file of at most ``max_bytes``, parsed safely (``parse_json``)."""
    return parse_json(read_text(path, max_bytes=max_bytes), str(path))


def parse_json(text: str, where: str) -> Any:
    """JSON text parsed with the limits of this module; BundleError naming ``where`` and the line."""
    _check_depth(text, where)
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        raise BundleError(f"{where}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
    except _Refused as exc:
        raise BundleError(f"{where}: line {_line_of(text, exc.token)}: {exc}") from None


def _check_depth(text: str, where: str) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH, counting brackets outside strings, without recursion."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                line = text.count("\n", 0, token.start()) + 1
                raise BundleError(f"{where}: line {line}: nested deeper than {MAX_JSON_DEPTH} levels")
        elif bracket in "]}":
            depth -= 1


class _Refused(ValueError):
    """A JSON value the parser met and this module refuses; ``token`` is its text, to find its line."""

    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.token = token


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a number: every number must be finite", name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"{text} is out of range: every number must be finite", text)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _Refused(f"the key {quoted(twice)} appears twice in one object", json.dumps(twice))
    return found


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"an integer of {digits:,} digits is out of range (at most {MAX_INT_DIGITS})", text)
    return int(text)


def quoted(value: Any) -> str:
    """A refused value as a message quotes it: its repr, cut (a field can be a megabyte long)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:60]}... ({len(text):,} characters)"


def _line_of(text: str, token: str) -> int:
    found = text.find(token)
    return text.count("\n", 0, found) + 1 if found >= 0 else 1


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented JSON, written atomically."""
    write_atomically(path, json.dumps(data, indent=2) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so a failed write never leaves half a file.

    A target that exists but is not a regular file (``/dev/stdout``, a pipe) is written to directly:
    renaming over it would replace the device or pipe with a file.
    """
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
        return
    path = path.resolve() if path.is_symlink() else path  # replace the linked file, keep the link
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    # Created 0666 less the umask, as open() makes every other file of the bundle (tempfile's 0600
    # would leave run.json, summary.md and verdict.json unreadable to the group beside 0644 CSVs).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
