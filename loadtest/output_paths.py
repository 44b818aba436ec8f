"""Where a command will write, checked before it does any work: a bad path costs one line, not a run.

Every command that writes (the runner's ``--out`` and ``--html``, compare's ``--summary`` and
``--json``, record_baseline's, write_comment_artifact's, fetch_baseline's and fetch_comment's ``--out``,
the calibration's and the benchmarks' outputs) calls one of these first and exits 2 on OutPathError.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutPathError(ValueError):
    """A path a command was told to write to cannot be written; one line says which and why."""


def check_out_folder(path: Path, option: str) -> None:
    """A folder to write into: an existing folder this process may write in, or one it can create."""
    if path.exists() and not path.is_dir():
        raise OutPathError(f"{option} {path} is a file, not a folder")
    _check_writable(path, option)


def check_out_file(path: Path, option: str) -> None:
    """A file to write: a new file, or an existing one that is not a folder, in a folder it can write in.

    A device or a pipe (``/dev/stdout``) is written to directly, so only its own permission counts.
    """
    if path.is_dir():
        raise OutPathError(f"{option} {path} is a folder, not a file")
    if path.exists() and not path.is_file():
        if not os.access(path, os.W_OK):
            raise OutPathError(f"{option} {path}: permission denied")
        return
    _check_writable(path.parent, option, given=path)


def _check_writable(folder: Path, option: str, *, given: Path | None = None) -> None:
    """``folder`` (or, while it does not exist, the closest folder above it) is a writable folder."""
    given = given or folder
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise OutPathError(f"{option} {given}: {existing} is a file, so nothing can be made inside it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutPathError(f"{option} {given}: cannot write in {existing} (permission denied)")
