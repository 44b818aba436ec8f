"""The action's own virtual environment, made before anything is installed (standard library only).

uv, pinned in requirements-uv.txt, installs the action's requirements in seconds where pip took half
a minute. A uv of that very version already on PATH (setup-uv, or this repository's test
environment) makes the environment itself, in a fraction of a second; otherwise the environment is
made by ``python -m venv`` and pip installs the pinned uv into it. Either way ``VENV/bin/uv`` is the
pinned uv, and the caller's Python and PATH are left as they were.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

UV_PIN = "requirements-uv.txt"
"""In the action's folder (the step's working directory): the one line ``uv==VERSION``."""


class VenvError(Exception):
    """The environment could not be made; the message says which step."""


def pinned_uv(pins: Path) -> str:
    """The uv version ``pins`` (requirements-uv.txt) pins."""
    try:
        text = pins.read_text(encoding="utf-8")
    except OSError as exc:
        raise VenvError(f"cannot read {pins}: {exc.strerror}") from exc
    found = re.search(r"^uv==(\S+)\s*$", text, re.MULTILINE)
    if found is None:
        raise VenvError(f"{pins}: no line uv==VERSION")
    return found.group(1)


def uv_of_version(version: str, path: str | None = None) -> str | None:
    """The uv on PATH when it is that version, else None."""
    uv = shutil.which("uv", path=path)
    if uv is None:
        return None
    try:
        said = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return uv if said.split()[1:2] == [version] else None


def make_venv(venv: Path, python: str, pins: Path, path: str | None = None) -> str:
    """Make ``venv`` with the uv ``pins`` pins in it (``path``: where to look for a uv, default PATH);
    says how it was made."""
    version = pinned_uv(pins)
    uv = uv_of_version(version, path)
    if uv is not None:
        _run([uv, "venv", "-q", "--python", python, str(venv)], "uv venv")
        os.symlink(uv, venv / "bin" / "uv")
        return f"made {venv} with the uv {version} on PATH"
    _run([python, "-m", "venv", str(venv)], "python -m venv")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run([*pip, "-r", str(pins)], "pip install uv")
    return f"made {venv} with python -m venv, and installed uv {version} with pip"


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise VenvError(f"{what} failed: {exc}") from exc
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise VenvError(f"{what} failed with exit status {done.returncode}: {last[0]}")
