"""``run_tests.py --start``: the API under test started from a checkout on the runner, for real.

The started API here is the stand-in (``python -m loadtest sandbox``) or a shell command that never
serves; each start command writes its process group's id (``$$``: the shell, which leads the group)
so a test can count, in /proc, that no process of the server is left after the run, whatever ended it.
The tests wait for what the run says or does, never for a time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest import bundle
from loadtest.exitcodes import ExitCode
from loadtest.presets import load_preset
from loadtest.sandbox import get_stats
from tests.conftest import run_command
from tests.integration.conftest import API_KEY, SPAWNED, wait_for_log
from tests.integration.test_run_interruption import WAIT_S, Runner, process_tree, still_running

pytestmark = pytest.mark.slow

STAND_IN = f'{sys.executable} -m loadtest sandbox --admin --port "$PORT"'
"""The stand-in API serving on the port the runner picked, with the key the runner passes."""


def recording_group(pid_file: Path, command: str) -> str:
    """``command``, after writing its process group's id to ``pid_file`` and starting a background
    child in the group (a worker the server forked): both must be stopped."""
    return f"echo $$ > {pid_file}; sleep 1000 & {command}"


def server_processes(pid_file: Path) -> dict[int, str]:
    """The server's processes while it runs: the group leader and what it started."""
    deadline = time.monotonic() + WAIT_S
    while not pid_file.is_file() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline, "the start command never ran"
        time.sleep(0.05)
    processes = process_tree(int(pid_file.read_text()))
    assert len(processes) >= 2, "the server and the child it started"
    return processes


def run_tests(
    *args: str | Path, env: dict[str, str | None] | None = None
) -> subprocess.CompletedProcess[str]:
    changes = {"LOADTEST_API_KEY": API_KEY, "LOADTEST_HOST": None, "LOADTEST_COMMIT": None, **(env or {})}
    return run_command(sys.executable, "-m", "loadtest", "run", "--preset", "smoke", *args, env=changes)


def facts(out: Path) -> dict:
    return json.loads((out / bundle.RUN_FACTS).read_text(encoding="utf-8"))


def git_checkout(folder: Path) -> str:
    """A git repository at ``folder`` with one commit: the checkout the API is started from."""
    folder.mkdir()
    git = ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    (folder / "README").write_text("the API\n")
    subprocess.run([*git, "add", "README"], check=True)
    subprocess.run([*git, "commit", "-qm", "the API"], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_a_started_smoke_run_records_the_started_api_and_masks_what_it_prints(tmp_path):
    checkout, out = tmp_path / "api", tmp_path / "bundle"
    commit = git_checkout(checkout)
    start = f'echo "serving with key $LOADTEST_API_KEY"; exec {STAND_IN}'
    setup = 'echo "setup of the $LOADTEST_SIDE side" > setup-ran'

    ran = run_tests("-t", "4s", "--out", out, "--dir", checkout, "--setup", setup, "--start", start)

    assert ran.returncode == ExitCode.OK, ran.stdout + ran.stderr
    assert (checkout / "setup-ran").read_text() == "setup of the head side\n"
    run = facts(out)
    assert run["target"] == "started" and run["host"].startswith("http://127.0.0.1:")
    assert run["server_commit"] == commit and run["start_command"] == start
    assert run["server_exit"] is None
    summary = (out / bundle.SUMMARY_MD).read_text(encoding="utf-8")
    assert f" · the API started on the runner from commit `{commit[:7]}`  \n" in summary
    log = (out / bundle.SERVER_LOG).read_text(encoding="utf-8")
    assert "serving with key ***" in log and API_KEY not in log
    assert "sandbox listening on http://127.0.0.1:" in log


def test_a_start_that_exits_at_once_ends_with_exit_3_its_status_and_its_log_tail(tmp_path):
    pid_file, out = tmp_path / "server.pid", tmp_path / "bundle"
    start = recording_group(pid_file, "echo booting; echo the key is $LOADTEST_API_KEY; exit 7")
    started = time.monotonic()

    ran = run_tests("--out", out, "--start", start, "--ready-timeout", "600")

    took = time.monotonic() - started
    assert ran.returncode == ExitCode.NOT_MEASURED, ran.stderr
    assert "the API server ended before it was ready (exit status 7)" in ran.stderr
    assert "  | booting\n  | the key is ***\n" in ran.stderr and API_KEY not in ran.stderr
    assert took < 600, "it did not wait for --ready-timeout"
    assert still_running(process_tree_of(pid_file)) == []


def process_tree_of(pid_file: Path) -> dict[int, str]:
    """What is left of a group whose leader has ended: its members, found by group id in /proc (a zombie
    among them is no process left: still_running tells)."""
    pgid = int(pid_file.read_text())
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            found[int(stat.parent.name)] = fields[19]
    return found


def test_a_start_that_never_answers_ends_with_exit_3_at_the_ready_timeout(tmp_path):
    pid_file, out = tmp_path / "server.pid", tmp_path / "bundle"
    started = time.monotonic()

    ran = run_tests(
        "--out", out, "--start", recording_group(pid_file, "exec sleep 1000"), "--ready-timeout", "3"
    )

    assert ran.returncode == ExitCode.NOT_MEASURED, ran.stderr
    assert "the API did not answer /api/help-center/help-articles/ below 500 within 3 s" in ran.stderr
    assert time.monotonic() - started >= 3
    assert still_running(process_tree_of(pid_file)) == []


def test_a_server_that_is_ready_but_fails_the_preflight_is_stopped_too(tmp_path):
    # Python's own file server answers the ready path (404, below 500) but no API: the preflight fails.
    pid_file, out = tmp_path / "server.pid", tmp_path / "bundle"
    start = recording_group(pid_file, f'exec {sys.executable} -m http.server --bind 127.0.0.1 "$PORT"')

    ran = run_tests("--out", out, "--start", start, "--dir", tmp_path)

    assert ran.returncode == ExitCode.NOT_MEASURED, ran.stderr
    assert "preflight" not in ran.stdout and "sign-up answered 501" in ran.stderr, ran.stderr
    assert still_running(process_tree_of(pid_file)) == []


def test_a_failing_setup_ends_with_exit_3_and_its_last_20_lines_before_any_server_starts(tmp_path):
    out, marker = tmp_path / "bundle", tmp_path / "started"
    setup = "for i in $(seq 30); do echo line $i; done; exit 5"

    ran = run_tests("--out", out, "--setup", setup, "--start", f"touch {marker}")

    assert ran.returncode == ExitCode.NOT_MEASURED
    assert "the setup command failed with exit status 5" in ran.stderr
    shown = re.findall(r"^  \| (.*)$", ran.stderr, re.MULTILINE)
    assert shown == [f"line {i}" for i in range(11, 31)]
    assert not marker.exists(), "the server is not started after a failed setup"


def test_a_server_killed_during_the_run_ends_it_with_a_failing_verdict_that_names_it(tmp_path):
    pid_file, out = tmp_path / "server.pid", tmp_path / "bundle"
    runner = Runner(
        "--preset", "smoke", "--out", str(out), "--start", recording_group(pid_file, f"exec {STAND_IN}")
    )
    url = (
        runner.wait_for_line("stdout", lambda line: " answers at http://" in line)
        .split(" answers at ")[1]
        .split()[0]
    )
    processes = server_processes(pid_file)
    # Once every user of the preset has signed up (after the preflight's one), the load is on.
    deadline = time.monotonic() + WAIT_S
    while get_stats(url)["users"] < 1 + load_preset("smoke").users:
        assert time.monotonic() < deadline and runner.proc.poll() is None, runner.stderr
        time.sleep(0.05)

    os.killpg(int(pid_file.read_text()), signal.SIGKILL)

    code = runner.finish()
    assert code == ExitCode.FAILED, runner.stderr
    run = facts(out)
    assert run["server_exit"] == "killed by SIGKILL" and run["duration_s"] < run["run_time_s"]
    verdict = json.loads((out / bundle.VERDICT_JSON).read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail"
    assert "the API started on the runner serves the whole run" in [f["rule"] for f in verdict["findings"]]
    headline = (out / bundle.SUMMARY_MD).read_text(encoding="utf-8").splitlines()[2]
    assert "FAIL: the run lost its API server after " in headline and "killed by SIGKILL" in headline
    assert "the API server ended (killed by SIGKILL): stopping the load" in runner.stderr
    assert still_running(processes) == []


@pytest.mark.parametrize(
    ("sent", "to_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c-to-the-runners-group", "SIGTERM-to-the-runner"],
)
def test_ctrl_c_or_sigterm_of_the_runner_stops_the_started_api_too(tmp_path, sent, to_group):
    pid_file, out = tmp_path / "server.pid", tmp_path / "bundle"
    start = recording_group(pid_file, f"exec {STAND_IN}")
    runner = Runner("--preset", "smoke", "--out", str(out), "--start", start, own_group=True)
    wait_for_log(out, SPAWNED, runner.proc)
    processes = server_processes(pid_file)

    (os.killpg if to_group else os.kill)(runner.proc.pid, sent)  # to the group: a terminal's Ctrl-C

    assert runner.finish() == ExitCode.INCOMPLETE, runner.stderr
    assert still_running(processes) == []
    run = facts(out)
    assert run["interrupted"] is True and run["signal"] == sent.name and run["server_exit"] is None
    assert (out / bundle.SERVER_LOG).is_file() and "Traceback" not in runner.stderr
