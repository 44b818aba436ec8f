"""Reading and writing the bundle's files: one-line errors on read, atomic writes."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any


class BundleError(ValueError):
    """Results cannot be read; the message is one line naming the file, the line or field, and the problem."""


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise BundleError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read: {exc.strerror}") from None


def read_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None


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
