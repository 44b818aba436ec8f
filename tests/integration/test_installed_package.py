"""A whole package: after ``pip install .`` (not editable) into a fresh virtual environment, a run works
from any folder, with the locustfile, the presets and the thresholds the package holds, and the research
beside it (tools/) is not installed.

The wheel is built from a copy of what the package is made of (pyproject.toml, loadtest/ and the
thresholds files its links point to), so nothing else of the checkout can stand in for a file the
package forgot, plus tools/, which pyproject.toml must leave out. The new environment installs the
wheel without its dependencies and finds them, through a .pth file, in this interpreter's
site-packages, where the editable install of the checkout is not seen (a .pth there is not processed):
``import loadtest`` in it is the installed copy, which the test checks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from loadtest import bundle
from tests.conftest import ROOT, run_command

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh virtual environment with the package installed from its wheel."""
    base = tmp_path_factory.mktemp("installed")
    source = base / "source"
    source.mkdir()
    for name in ("pyproject.toml", "thresholds.json", "thresholds.schema.json"):
        shutil.copy(ROOT / name, source)
    # Links kept as links (loadtest/gate/thresholds.json -> ../../thresholds.json): the wheel must hold
    # what they point to, as it does when built from the checkout.
    for package in ("loadtest", "tools"):
        shutil.copytree(
            ROOT / package, source / package, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    pip = [sys.executable, "-m", "pip"]
    built = run_command(*pip, "wheel", "-q", "--no-deps", "-w", base / "wheel", source, timeout=240)
    assert built.returncode == 0, built.stderr
    venv = base / "venv"
    made = run_command(sys.executable, "-m", "venv", "--without-pip", venv, timeout=120)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    wheel = next((base / "wheel").glob("*.whl"))
    done = run_command(*pip, "--python", python, "install", "-q", "--no-deps", wheel, timeout=240)
    assert done.returncode == 0, done.stderr
    purelib = run_command(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    (Path(purelib.stdout.strip()) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv / "bin"


def run_elsewhere(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No PYTHONPATH and no LOADTEST_*: nothing may lead the command back to the checkout or change the run.
    return run_command(*command, cwd=cwd, env={"PYTHONPATH": None, "LOADTEST_HOST": None}, timeout=240)


def test_import_finds_the_installed_copy_not_the_checkout(installed: Path, tmp_path: Path):
    proc = run_elsewhere(
        installed / "python", "-c", "import loadtest; print(loadtest.__file__)", cwd=tmp_path
    )

    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).is_relative_to(installed.parent), proc.stdout


def test_the_research_beside_the_package_is_not_installed(installed: Path, tmp_path: Path):
    wheel = next((installed.parent.parent / "wheel").glob("*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        assert {name.partition("/")[0] for name in archive.namelist()} == {"loadtest", wheel_metadata(wheel)}

    for module in ("tools", "loadtest.calibration", "loadtest.bench"):
        proc = run_elsewhere(installed / "python", "-c", f"import {module}", cwd=tmp_path)
        assert proc.returncode == 1 and f"No module named {module!r}" in proc.stderr, proc.stderr


def wheel_metadata(wheel: Path) -> str:
    """The wheel's .dist-info folder: NAME-VERSION of NAME-VERSION-TAGS.whl."""
    name, version = wheel.name.split("-")[:2]
    return f"{name}-{version}.dist-info"


def test_a_smoke_run_from_another_folder_starts_the_stand_in_and_writes_its_bundle(
    installed: Path, tmp_path: Path
):
    proc = run_elsewhere(installed / "loadtest", "run", "--preset", "smoke", "-t", "5s", cwd=tmp_path)

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [out] = (tmp_path / "results").glob("smoke-*")
    results = bundle.read_results(out)
    assert results.facts is not None and (results.facts.preset, results.facts.target) == ("smoke", "sandbox")
    assert results.aggregate.requests > 0
    assert (out / bundle.SUMMARY_MD).is_file() and (out / bundle.VERDICT_JSON).is_file()
    assert [line for line in _cmdlines() if str(installed.parent) in line] == [], "a process was left"


def test_python_dash_m_loadtest_runs_a_command(installed: Path, tmp_path: Path):
    proc = run_elsewhere(installed / "python", "-m", "loadtest", "run", "--help", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert "--preset" in proc.stdout


def _cmdlines() -> list[str]:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                continue
    return lines
