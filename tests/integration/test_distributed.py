"""Distributed runs through ``loadtest run``: master and workers on loopback, against the stand-in API."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest import bundle
from loadtest.run.ports import free_port
from loadtest.sandbox import get_stats, running_sandbox
from tests.conftest import ROOT
from tests.integration.conftest import API_KEY, SPAWNED, wait_for_log

pytestmark = pytest.mark.slow

RUN_TIME_S = 10
MARGIN_S = 45
"""Start-up (sandbox, Locust, workers connecting) and shutdown: a run that takes longer has hung."""
KILLED_RUN_TIME_S = 20
"""Long enough that a worker killed once the users run is missed (3 heartbeats) well before the end."""


def runner(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "loadtest", "run", *args],
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
    assert (out / bundle.LOCUST_LOG).read_text().count("reported as ready") == 2
    assert "progress: " in stdout, "the master shows the status line"


def test_request_counts_add_up_and_match_what_the_stand_in_served(master_with_two_workers):
    *_, served, out = master_with_two_workers
    rows = stats_rows(out)
    aggregated = rows.pop("Aggregated")
    assert aggregated > 0 and sum(rows.values()) == aggregated
    # The stand-in also served the runner's one preflight request, and requests still in flight
    # when the run stopped are served but never recorded: at most one per user (10).
    assert aggregated <= served <= aggregated + 1 + 10


def test_the_gate_reads_the_bundle_and_finds_nothing_but_what_the_machine_measured(master_with_two_workers):
    gate = pytest.importorskip("loadtest.gate")
    *_, out = master_with_two_workers
    report = gate.run_gate(out)
    # Every endpoint was exercised, none failed, nothing is missing: only a latency limit may fire, when
    # this machine is busy enough to slow loopback answers past it (that is the machine, not the bundle).
    unexpected = [
        f for f in report.findings if not (f.kind == "limit" and f.metric in bundle.LATENCY_METRICS)
    ]
    assert unexpected == [], gate.render_markdown(report)
    assert set(report.results.endpoints) == set(json.loads((out / bundle.RUN_FACTS).read_text())["endpoints"])


def test_a_worker_killed_mid_run_is_named_and_the_run_still_ends_on_time(tmp_path):
    out = tmp_path / "bundle"
    # Two users, one per worker: the load is light, so the survivor never misses a heartbeat.
    args = ("--preset", "smoke", "-u", "2", "-t", f"{KILLED_RUN_TIME_S}s", "--workers", "2", "--no-gate")
    proc = runner(*args, "--out", str(out))
    victim = wait_for_local_workers(proc, count=2)[0]
    wait_for_log(out, SPAWNED, proc)  # both workers joined and run their users
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=KILLED_RUN_TIME_S + MARGIN_S)

    assert proc.returncode == 0, stderr[-2000:]
    assert (out / bundle.HTML_REPORT).is_file() and (out / bundle.STATS_CSV).is_file()
    log = (out / bundle.LOCUST_LOG).read_text()
    # On time: Locust ended the run at its run time, not the runner's deadline.
    assert "--run-time limit reached" in log and "did not stop" not in stderr
    lost = json.loads((out / bundle.RUN_FACTS).read_text())["lost_workers"]
    assert len(lost) == 1 and lost[0]["how"] == "stopped sending heartbeats"
    assert f"lost worker {lost[0]['id']}" in stderr
    assert f"{lost[0]['id']} (index" in log, "the warning names a worker the master reported as ready"


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
