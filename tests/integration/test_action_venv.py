"""``loadtest venv``: the action's own environment with the pinned uv, from a bare Python (``-S``, as
the action runs it before anything is installed), with a uv of the pinned version on PATH or without."""

import os
import shutil
import sys
from pathlib import Path

import pytest

from loadtest.github.action_venv import UV_PIN, pinned_uv
from tests.conftest import ROOT, run_command

pytestmark = pytest.mark.slow
PINNED = pinned_uv(ROOT / UV_PIN)


def venv_command(venv: Path, path: str, *args: str):
    """``python -S -m loadtest venv`` from the repository's root, as the action's step runs it."""
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/root")}
    bare = [sys.executable, "-S", "-m", "loadtest", "venv", str(venv), "--python", sys.executable, *args]
    return run_command(*bare, env=env, inherit_env=False, timeout=300)


def uv_version(venv: Path) -> str:
    return run_command(str(venv / "bin" / "uv"), "--version", timeout=60).stdout.split()[1]


@pytest.fixture
def fake_uv(tmp_path) -> Path:
    """A folder whose ``uv`` says it is another version."""
    folder = tmp_path / "other-uv"
    folder.mkdir()
    (folder / "uv").write_text("#!/bin/sh\necho 'uv 0.0.1'\n", encoding="utf-8")
    (folder / "uv").chmod(0o755)
    return folder


def test_the_pinned_uv_on_path_makes_the_environment(tmp_path):
    uv = shutil.which("uv")
    assert uv, "requirements-uv.txt is installed with the tests' requirements"
    done = venv_command(tmp_path / "venv", f"{Path(uv).parent}:/usr/bin:/bin")

    assert done.returncode == 0, done.stderr
    assert f"with the uv {PINNED} on PATH" in done.stdout
    assert uv_version(tmp_path / "venv") == PINNED
    assert run_command(
        str(tmp_path / "venv" / "bin" / "python"), "-c", "import sys; print(sys.prefix)"
    ).stdout.strip() == str(tmp_path / "venv")


def test_another_uv_on_path_is_passed_over_and_pip_installs_the_pin(tmp_path, fake_uv):
    done = venv_command(tmp_path / "venv", f"{fake_uv}:/usr/bin:/bin")

    assert done.returncode == 0, done.stderr
    assert "with python -m venv" in done.stdout and f"installed uv {PINNED} with pip" in done.stdout
    assert uv_version(tmp_path / "venv") == PINNED


def test_a_step_that_fails_is_one_line_and_exit_3(tmp_path, fake_uv):
    env = {"PATH": f"{fake_uv}:/usr/bin:/bin"}
    bare = [
        sys.executable,
        "-S",
        "-m",
        "loadtest",
        "venv",
        str(tmp_path / "venv"),
        "--python",
        "/nonexistent/python",
    ]
    done = run_command(*bare, env=env, inherit_env=False, timeout=60)

    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and "python -m venv failed" in done.stderr


@pytest.mark.parametrize("pins", ["missing.txt", "no-pin.txt"])
def test_a_pin_that_cannot_be_read_is_exit_2(tmp_path, pins):
    (tmp_path / "no-pin.txt").write_text("uv\n", encoding="utf-8")
    done = venv_command(tmp_path / "venv", "/usr/bin:/bin", "--pins", str(tmp_path / pins))

    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert str(tmp_path / pins) in done.stderr and not (tmp_path / "venv").exists()
