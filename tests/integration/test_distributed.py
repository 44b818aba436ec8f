"""Distributed runs through scripts/run_tests.py: master and workers on loopback, against the stand-in API."""

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest import bundle
from loadtest.sandbox import get_stats, running_sandbox
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY

pytestmark = pytest.mark.slow

RUN_TIME_S = 10
MARGIN_S = 45
"""Start-up (sandbox, Locust, workers connecting) and shutdown: a run that takes longer has hung."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def runner(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "scripts/run_tests.py", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Master and workers alike need the API key: each worker sends its own requests.
        env={k: v for k, v in os.environ.items() if not k.startswith("LOADTEST_")}
        | {"LOADTEST_API_KEY": API_KEY},
    )


def stats_rows(out: Path) -> dict[str, int]:
    with (out / bundle.STATS_CSV).open(newline="", encoding="utf-8") as fh:
        return {row["Name"]: int(row["Request Count"]) for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def master_with_two_workers(tmp_path_factory):
    """One smoke run: this machine is the master, two `run_tests.py --worker` processes join it."""
    out = tmp_path_factory.mktemp("distributed") / "bundle"
    port = str(free_port())
    with running_sandbox(api_key=API_KEY, admin=True) as url:
        master = runner(
            "--preset", "smoke", "-t", f"{RUN_TIME_S}s", "--host", url, "--out", str(out),
            "--expect-workers", "2", "--expect-workers-max-wait", "30", "--master-bind-port", port,
        )  # fmt: skip
        workers = [runner("--worker", "--master-host", "127.0.0.1", "--master-port", port) for _ in range(2)]
        stdout, stderr = master.communicate(timeout=RUN_TIME_S + 30 + MARGIN_S)
        # Workers leave when the master quits; one still running after that has hung.
        for worker in workers:
            worker.communicate(timeout=30)
        worker_codes = [worker.returncode for worker in workers]
        served = get_stats(url)["requests_served"]
    return master.returncode, stdout, stderr, worker_codes, served, out


def test_the_master_writes_one_bundle_and_the_workers_leave_with_it(master_with_two_workers):
    code, stdout, stderr, worker_codes, _, out = master_with_two_workers
    assert code in (0, 1), stderr[-2000:]
    assert worker_codes == [0, 0]
    for name in (bundle.HTML_REPORT, bundle.STATS_CSV, bundle.HISTOGRAMS_JSON, bundle.RUN_FACTS):
        assert (out / name).is_file(), f"bundle lacks {name}"
    facts = json.loads((out / bundle.RUN_FACTS).read_text())
    assert facts["workers"] == 2 and facts["lost_workers"] == []
    assert stdout.count("reported as ready") == 2


def test_request_counts_add_up_and_match_what_the_stand_in_served(master_with_two_workers):
    *_, served, out = master_with_two_workers
    rows = stats_rows(out)
    aggregated = rows.pop("Aggregated")
    assert aggregated > 0 and sum(rows.values()) == aggregated
    # The stand-in also served the runner's one preflight request, and requests still in flight
    # when the run stopped are served but never recorded: at most one per user (10).
    assert aggregated <= served <= aggregated + 1 + 10


def test_the_gate_accepts_the_bundle(master_with_two_workers):
    gate = pytest.importorskip("loadtest.gate")
    *_, out = master_with_two_workers
    report = gate.run_gate(out)
    assert report.verdict in ("pass", "warn"), gate.render_markdown(report)


def test_a_worker_killed_mid_run_is_named_and_the_run_still_ends_on_time(tmp_path):
    out = tmp_path / "bundle"
    started = time.monotonic()
    args = ("--preset", "smoke", "-t", f"{RUN_TIME_S}s", "--workers", "2", "--no-gate")
    proc = runner(*args, "--out", str(out))
    victim = wait_for_local_workers(proc, count=2)[0]
    time.sleep(2)  # a few seconds into the run
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=RUN_TIME_S + MARGIN_S)
    elapsed = time.monotonic() - started

    assert proc.returncode in (0, 1), stderr[-2000:]
    assert elapsed < RUN_TIME_S + MARGIN_S
    assert (out / bundle.HTML_REPORT).is_file() and (out / bundle.STATS_CSV).is_file()
    lost = json.loads((out / bundle.RUN_FACTS).read_text())["lost_workers"]
    assert len(lost) == 1 and lost[0]["how"] == "stopped sending heartbeats"
    assert f"lost worker {lost[0]['id']}" in stderr
    assert f"{lost[0]['id']} (index" in stdout, "the warning names a worker the master reported as ready"


def wait_for_local_workers(proc: subprocess.Popen, *, count: int, timeout_s: float = 30) -> list[int]:
    """PIDs of the worker processes Locust forked for --workers (children of the `-m locust` process)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        masters = [pid for pid in children(proc.pid) if "locust" in cmdline(pid)]
        workers = [pid for master in masters for pid in children(master)]
        if len(workers) >= count:
            return workers
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"Locust did not start {count} worker processes within {timeout_s}s")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""
