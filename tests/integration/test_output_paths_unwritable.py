"""An output folder the command may not write in: exit 2 with one line, before any work, for every command
that writes. Run as processes without the permission override root has (setpriv drops it), so the
folder's mode decides as it does for any user.
"""

import os
import shutil
import sys

import pytest

from loadtest.exitcodes import ExitCode
from tests.conftest import GATE_FIXTURES, run_command

pytestmark = pytest.mark.slow

COMMANDS = {
    # option: ([python -m] MODULE COMMAND, its arguments before the path, what the path is)
    "run --out": (["loadtest", "run"], ["--preset", "smoke", "--out"], "folder"),
    "run --html": (["loadtest", "run"], ["--preset", "smoke", "--html"], "file"),
    "compare --summary": (["loadtest", "compare"], [GATE_FIXTURES / "pass", "--summary"], "file"),
    "compare --json": (["loadtest", "compare"], [GATE_FIXTURES / "pass", "--json"], "file"),
    "compare --trend": (["loadtest", "compare"], [GATE_FIXTURES / "pass", "--trend"], "file"),
    "record_baseline --out": (["loadtest", "record-baseline"], [GATE_FIXTURES / "pass", "--out"], "folder"),
    "write_comment_artifact --out": (
        ["loadtest", "write-comment-artifact"],
        ["--summary", GATE_FIXTURES / "expected" / "pass.md", "--pr", "7", "--head-sha", "a" * 40, "--out"],
        "folder",
    ),
    "fetch_baseline --out": (["loadtest", "fetch-baseline"], ["--preset", "smoke", "--out"], "folder"),
    "fetch_comment --out": (["loadtest", "fetch-comment"], ["--run-id", "1", "--out"], "folder"),
    "calibrate --out": (["tools", "calibrate"], ["--out"], "folder"),
    "bench_sandbox --json": (["tools", "bench-sandbox"], ["--json"], "file"),
    "bench_generator --keep-logs": (["tools", "bench-generator"], ["--keep-logs"], "folder"),
}


def without_permission_override() -> list[str]:
    """What to run a command under so that file modes bind it: nothing for a user, setpriv for root."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: nothing here can make a folder unwritable to root")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


@pytest.fixture
def locked(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("option", COMMANDS)
def test_a_folder_it_may_not_write_in_is_refused_in_one_line(option, locked):
    (module, name), args, kind = COMMANDS[option]
    target = locked / ("new" if kind == "folder" else "summary.md")
    command = [*without_permission_override(), sys.executable, "-m", module, name, *args, target]

    done = run_command(*command, timeout=60)

    assert done.returncode == ExitCode.USAGE, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"cannot write in {locked} (permission denied)" in line and option.split()[-1] in line
    assert list(locked.iterdir()) == []
