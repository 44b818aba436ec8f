"""SIGINT and SIGTERM to a running ``loadtest run``, for real: the run is recorded as interrupted,
never passed, and no process is left behind (checked in /proc).

Each test waits for something the run says (a status line, Locust's "All users spawned"), never for a
time, so a busy machine only makes it slower.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from loadtest import bundle
from loadtest.exitcodes import ExitCode
from loadtest.presets import load_preset
from tests.conftest import ROOT, child_environ
from tests.integration.conftest import API_KEY, SPAWNED, wait_for_log

pytestmark = pytest.mark.slow

WAIT_S = 90
"""The longest any wait here may take: far more than each needs, so only a hang reaches it."""


class Runner:
    """``python -m loadtest run`` as a child process, its output read line by line as it comes."""

    def __init__(self, *args: str, own_group: bool = False) -> None:
        # own_group: a process group of its own, as a shell makes for a job in a terminal.
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loadtest", "run", *args],
            cwd=ROOT,
            env=child_environ({"LOADTEST_API_KEY": API_KEY}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=own_group,
        )
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._new: queue.Queue[tuple[str, str]] = queue.Queue()
        for name in self.lines:
            threading.Thread(target=self._read, args=(name,), daemon=True).start()

    def _read(self, name: str) -> None:
        for line in getattr(self.proc, name):
            self.lines[name].append(line)
            self._new.put((name, line))

    def wait_for_line(self, name: str, wanted: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            try:
                stream, line = self._new.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, f"the runner ended first: {''.join(self.lines['stderr'])}"
                continue
            if stream == name and wanted(line):
                return line
        raise AssertionError(f"no such line on {name} within {WAIT_S} s")

    def finish(self) -> int:
        code = self.proc.wait(timeout=WAIT_S)
        time.sleep(0.1)  # the reader threads take the last lines
        return code

    @property
    def stdout(self) -> str:
        return "".join(self.lines["stdout"])

    @property
    def stderr(self) -> str:
        return "".join(self.lines["stderr"])


def process_tree(pid: int) -> dict[int, str]:
    """``pid`` and every process under it: PID -> its start time (to tell a reused PID from it)."""
    found = {pid: start_time(pid)}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found |= process_tree(int(child))
    return found


def start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def still_running(processes: dict[int, str]) -> list[int]:
    """Those still alive (not a zombie waiting for init to reap it), after up to WAIT_S for a SIGKILL."""
    deadline = time.monotonic() + WAIT_S
    while True:
        alive = [pid for pid, started in processes.items() if _alive(pid, started)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _alive(pid: int, started: str) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and start_time(pid) == started


def facts(out: Path) -> dict:
    return json.loads((out / bundle.RUN_FACTS).read_text(encoding="utf-8"))


def assert_recorded_as_interrupted(code: int, out: Path, signal_name: str) -> dict:
    run = facts(out)
    assert code == ExitCode.INCOMPLETE
    assert run["interrupted"] is True and run["signal"] == signal_name
    assert 0 < run["duration_s"] < run["run_time_s"] and run["ended_at"] is not None
    verdict = json.loads((out / bundle.VERDICT_JSON).read_text(encoding="utf-8"))
    assert verdict["verdict"] == "incomplete" and verdict["exit_code"] == ExitCode.INCOMPLETE
    headline = (out / bundle.SUMMARY_MD).read_text(encoding="utf-8").splitlines()[2]
    assert (
        f" of 60 s ({signal_name}), so not judged" in headline
        and "INCOMPLETE: interrupted after " in headline
    )
    return run


def test_ctrl_c_to_the_process_group_after_10_s_stops_everything_and_the_run_says_so(tmp_path):
    out = tmp_path / "bundle"
    runner = Runner("--preset", "smoke", "--out", str(out), own_group=True)
    runner.wait_for_line("stdout", lambda line: line.startswith("progress: 10s/60s "))
    processes = process_tree(runner.proc.pid)
    assert len(processes) >= 3, "the runner, Locust and the stand-in it started"

    os.killpg(runner.proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does

    run = assert_recorded_as_interrupted(runner.finish(), out, "SIGINT")
    assert still_running(processes) == []
    assert run["duration_s"] >= 10
    # Locust stopped gracefully: it wrote its reports, and the runner its verdict after them.
    for name in (bundle.STATS_CSV, bundle.HTML_REPORT, bundle.HISTOGRAMS_JSON):
        assert (out / name).is_file(), f"Locust did not write {name}"
    assert "INCOMPLETE: interrupted after " in runner.stdout and "Traceback" not in runner.stderr


@pytest.mark.parametrize(
    ("sent", "to_group"),
    [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)],
    ids=["SIGINT-to-the-runner", "SIGTERM-to-the-runner", "SIGTERM-to-its-group"],
)
def test_sigint_or_sigterm_to_the_runner_or_its_group_behave_the_same(sent, to_group, tmp_path):
    out = tmp_path / "bundle"
    runner = Runner("--preset", "smoke", "--out", str(out), own_group=True)
    wait_for_log(out, SPAWNED, runner.proc)
    processes = process_tree(runner.proc.pid)
    assert len(processes) >= 3

    (os.killpg if to_group else os.kill)(runner.proc.pid, sent)

    assert_recorded_as_interrupted(runner.finish(), out, sent.name)
    assert still_running(processes) == []
    assert "Traceback" not in runner.stderr
    # The SIGINT Locust is stopped with is no error of Locust's; gevent prints it as a traceback unless
    # the runner keeps it quiet.
    said = runner.stdout + runner.stderr + (out / bundle.LOCUST_LOG).read_text()
    assert "KeyboardInterrupt" not in said


def test_a_second_ctrl_c_kills_locust_and_its_workers_at_once(sandbox_factory, tmp_path):
    # Every AI-assistant request takes 30 s, so the users are mid-request when the run is stopped and
    # Locust's graceful stop waits the preset's stop-timeout (5 s) for them: the second Ctrl-C comes
    # well inside that wait.
    slow = [{"match": "GET /api/ai-assistant/*", "latency_ms": 30_000}]
    url = sandbox_factory(faults=slow)
    out = tmp_path / "bundle"
    runner = Runner("--preset", "smoke", "--workers", "2", "--host", url, "--out", str(out), own_group=True)
    wait_for_log(out, SPAWNED, runner.proc)
    processes = process_tree(runner.proc.pid)
    assert len(processes) >= 4, "the runner, Locust and its two workers"

    os.killpg(runner.proc.pid, signal.SIGINT)
    runner.wait_for_line("stderr", lambda line: "SIGINT: stopping Locust" in line)
    os.killpg(runner.proc.pid, signal.SIGINT)

    code = runner.finish()
    assert still_running(processes) == []
    run = facts(out)
    assert code == ExitCode.INCOMPLETE and run["interrupted"] is True and run["signal"] == "SIGINT"
    assert run["exit_code"] == -signal.SIGKILL, "Locust was killed, not left to finish its graceful stop"
    assert "Traceback" not in runner.stderr


def test_a_stand_in_failing_every_request_stops_a_60_s_smoke_run_within_25_s(sandbox_factory, tmp_path):
    from loadtest.sandbox import get_stats, set_faults

    url = sandbox_factory(admin=True)
    out = tmp_path / "bundle"
    runner = Runner("--preset", "smoke", "--host", url, "--out", str(out))
    # The preflight signs up once, then each of the preset's users: from then on every request fails.
    deadline = time.monotonic() + WAIT_S
    while get_stats(url)["users"] < 1 + load_preset("smoke").users:
        assert time.monotonic() < deadline and runner.proc.poll() is None, runner.stderr
        time.sleep(0.05)
    set_faults(url, [{"match": "*", "error_rate": 1.0}])

    code = runner.finish()

    run = facts(out)
    assert code == ExitCode.FAILED, runner.stderr
    assert run["stopped_by"].startswith(("failure ratio ", "no successful request for ")), run["stopped_by"]
    assert run["stopped_at_s"] <= 25 and run["duration_s"] < run["run_time_s"]
    assert run["interrupted"] is False
    verdict = json.loads((out / bundle.VERDICT_JSON).read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["findings"][0]["source"] == "stop"
    headline = (out / bundle.SUMMARY_MD).read_text(encoding="utf-8").splitlines()[2]
    assert (
        f"FAIL: the run stopped early after {run['stopped_at_s']:.0f} s of 60 s: {run['stopped_by']}"
        in headline
    )
    assert f"stopped early after {run['stopped_at_s']:.0f} s: {run['stopped_by']}" in runner.stdout
    assert (out / bundle.HTML_REPORT).is_file(), "a stopped run still has Locust's reports"
