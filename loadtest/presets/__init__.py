"""Presets: Locust config files in this folder, the single source of truth for load shapes.

Each ``NAME.conf`` is a plain Locust config file (``locust --config
loadtest/presets/smoke.conf``) that opens with a comment saying which
question it answers. The runner, the workflows and the gate read the numbers
from here; nothing else repeats them.

A caller of the GitHub Action adds presets of its own in one more folder (``extra_dir``: the
action's ``presets-dir``, ``--presets-dir``, ``LOADTEST_PRESETS_DIR``), in the same format. A file
there may not take the name of a built-in preset: a preset name means one load shape.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from loadtest import config

PRESETS_DIR = Path(str(resources.files(__name__)))

_TIME_PART = re.compile(r"(\d+)\s*([hms])")
_NAME = re.compile(r"[a-z][a-z0-9_-]*")


class PresetError(ValueError):
    """Unknown preset or a preset file that cannot be read."""


@dataclass(frozen=True)
class Preset:
    name: str
    path: Path
    question: str
    """The comment block at the top of the file: what this preset is for."""
    settings: Mapping[str, str] = field(repr=False)
    """The file's ``key = value`` lines, read-only: one Preset is shared by every caller."""

    @property
    def users(self) -> int:
        return int(self.settings.get("users", "1"))

    @property
    def spawn_rate(self) -> float:
        return float(self.settings.get("spawn-rate", "1"))

    @property
    def run_time_s(self) -> float:
        return parse_duration(self.settings.get("run-time", "0"))

    def run_time_for(self, *, with_base: bool) -> float:
        """The run time of a run that loads one target, or a base and a head together.

        With a base, each side gets about half the requests of a one-target run of the same length, so
        a preset may give such a run more time (``base-run-time``); without that key it runs as long.
        """
        if with_base and "base-run-time" in self.settings:
            return parse_duration(self.settings["base-run-time"])
        return self.run_time_s

    @property
    def wait_s(self) -> tuple[float, float]:
        """Shortest and longest wait between a user's tasks."""
        low, high = config.DEFAULT_WAIT_S
        return float(self.settings.get("wait-min", low)), float(self.settings.get("wait-max", high))

    @property
    def processes(self) -> int:
        return int(self.settings.get("processes", "1"))

    @property
    def peak_users(self) -> int:
        """Highest user count the preset reaches (a spike goes above ``users``)."""
        return max(self.users, int(self.settings.get("spike-users", "0")))


def _check_numbers(path: Path, settings: Mapping[str, str]) -> None:
    for key, kind in NUMBERS.items():
        if key not in settings:
            continue
        try:
            value = kind(settings[key])
        except ValueError:
            value = None
        if value is None or not math.isfinite(value) or value < 0:
            wanted = "a whole number" if kind is int else "a number"
            raise PresetError(f"{path}: {key} must be {wanted} >= 0, got {settings[key]!r}")
    for key in DURATIONS:
        if key not in settings:
            continue
        try:
            parse_duration(settings[key])
        except PresetError as exc:
            raise PresetError(f"{path}: {key}: {exc}") from None


def parse_duration(text: str) -> float:
    """Seconds in a Locust time string: ``90``, ``30s``, ``5m``, ``1h30m``."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _TIME_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != re.sub(r"\s+", "", text):
        raise PresetError(f"cannot read the time {text!r}: use seconds or a form like 30s, 5m, 1h30m")
    scale = {"h": 3600, "m": 60, "s": 1}
    return float(sum(int(n) * scale[u] for n, u in parts))


def available(extra_dir: Path | None = None) -> list[str]:
    """The preset names: the built-in ones, and those in ``extra_dir``."""
    return sorted(_registry(_absolute(extra_dir)))


def load_preset(name: str, extra_dir: Path | None = None) -> Preset:
    """The preset ``NAME.conf`` (built in, or in ``extra_dir``), read once per process however often
    it is asked for."""
    registry = _registry(_absolute(extra_dir))
    if not _NAME.fullmatch(name) or name not in registry:
        raise PresetError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(registry))}")
    return _parse(name, registry[name])


def _absolute(folder: Path | None) -> Path | None:
    """The folder as an absolute path: Locust, started in the repository root, reads the preset too."""
    return Path(folder).absolute() if folder is not None else None


@functools.cache
def _registry(extra_dir: Path | None) -> Mapping[str, Path]:
    """Name -> file for the built-in presets and those in ``extra_dir``; PresetError when that folder
    is missing, holds a file whose name is not a preset name, or would replace a built-in preset."""
    presets = {path.stem: path for path in PRESETS_DIR.glob("*.conf")}
    if extra_dir is None:
        return MappingProxyType(presets)
    if not extra_dir.is_dir():
        raise PresetError(f"presets folder {extra_dir}: no such folder")
    for path in sorted(extra_dir.glob("*.conf")):
        if not _NAME.fullmatch(path.stem):
            raise PresetError(
                f"{path}: {path.stem!r} is not a preset name (a lower-case letter, then a-z, 0-9, - and _)"
            )
        if path.stem in presets:
            raise PresetError(
                f"{path}: {path.stem!r} is a built-in preset; give yours another name "
                "(a preset name means one load shape, so yours may not replace ours)"
            )
        presets[path.stem] = path
    return MappingProxyType(presets)


NUMBERS = {
    "users": int,
    "spawn-rate": float,
    "wait-min": float,
    "wait-max": float,
    "processes": int,
    "spike-users": int,
}
"""The keys the runner reads as numbers, checked when the file is read."""

DURATIONS = ("run-time", "base-run-time")
"""The keys the runner reads as durations (30s, 5m), checked when the file is read."""


@functools.cache
def _parse(name: str, path: Path) -> Preset:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PresetError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:  # a folder named NAME.conf, a file that cannot be read
        raise PresetError(f"{path}: cannot be read: {exc.strerror}") from None
    question: list[str] = []
    settings: dict[str, str] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if not settings:
                question.append(stripped.lstrip("# ").strip())
            continue
        if not stripped:
            continue
        key, sep, value = stripped.partition("=")
        if not sep:
            raise PresetError(f"{path}: cannot read the line {line!r}: expected 'key = value'")
        settings[key.strip()] = value.strip()
    _check_numbers(path, settings)
    return Preset(name=name, path=path, question=" ".join(question), settings=MappingProxyType(settings))
