"""The gate on real Locust output: a tiny loopback server, short headless runs, one of them slower.

Nothing here can flip by chance: the slowed endpoint sleeps 600 ms, a lower bound on every one of its
response times, and the tolerances (twice as slow AND 300 ms) are far beyond what a busy machine adds
to loopback answers of a few ms."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest.gate import headline, render_markdown, run_gate
from tests.conftest import run_command, run_loadtest

pytestmark = pytest.mark.slow

SLOWED = "GET /api/dashboard/v2/search/"

SERVER = textwrap.dedent(
    """
    import sys
    import gevent
    from gevent import socket
    from gevent.pywsgi import WSGIServer

    slow_ms = float(sys.argv[1])

    def app(environ, start_response):
        if slow_ms and environ["PATH_INFO"] == "/api/dashboard/v2/search/":
            gevent.sleep(slow_ms / 1000)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]

    # Without TCP_NODELAY keep-alive answers wait ~40 ms on delayed ACKs; accepted sockets inherit it.
    listener = socket.socket()
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    server = WSGIServer(listener, app, log=None)
    server.start()
    print(server.server_port, flush=True)
    server.serve_forever()
    """
)

SLOW_MS = 600
USERS = 8
RUN_TIME_S = 4
"""With these, the slowed endpoint gets about 50 requests: enough (10 beyond it) to compare its p50."""

LOCUSTFILE = textwrap.dedent(
    """
    from locust import HttpUser, constant, task

    class Reader(HttpUser):
        wait_time = constant(0.02)

        @task(2)
        def dashboard(self):
            self.client.get("/api/dashboard/")

        @task
        def search(self):
            self.client.get("/api/dashboard/v2/search/?q=x", name="/api/dashboard/v2/search/")
    """
)

THRESHOLDS = {
    "defaults": {
        "aggregate": {"failure_ratio": 0.01},
        "endpoint": {"failure_ratio": 0.01, "p95": {"value": 2000, "reason": "only a hung server gets here"}},
    },
    "regression": {
        "min_requests": 5,
        "latency": {
            "metrics": ["p50", "p95"],
            "warn": {"relative": 1.0, "absolute_ms": 300},
            "fail": {"relative": 1.0, "absolute_ms": 300},
            "reason": "loopback answers in a few ms: twice as slow and 300 ms more is the injected sleep",
        },
    },
}


@pytest.fixture
def loopback_server(tmp_path) -> Iterator[Callable[[float], str]]:
    """Start a loopback server whose search endpoint sleeps ``slow_ms``; returns its base URL."""
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    started: list[subprocess.Popen] = []

    def start(slow_ms: float) -> str:
        server = subprocess.Popen(
            [sys.executable, str(script), str(slow_ms)], stdout=subprocess.PIPE, text=True
        )
        started.append(server)
        return f"http://127.0.0.1:{server.stdout.readline().strip()}"

    yield start
    for server in started:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def run_locust(tmp_path) -> Callable[[str, Path], Path]:
    """Run the tiny locustfile headless for RUN_TIME_S with --csv and --json-file at ``prefix``."""
    locustfile = tmp_path / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)

    def run(host: str, prefix: Path) -> Path:
        prefix.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless"]
        command += [
            "-u",
            str(USERS),
            "-r",
            str(USERS),
            "-t",
            f"{RUN_TIME_S}s",
            "-H",
            host,
            "--csv",
            str(prefix),
            "--json-file",
            str(prefix),
            "--only-summary",
        ]
        # In tmp_path, away from any Locust configuration file of the repository.
        done = run_command(*command, timeout=60, cwd=tmp_path)
        assert Path(f"{prefix}_stats.csv").is_file(), done.stderr[-2000:]
        return prefix

    return run


@pytest.fixture
def thresholds(tmp_path) -> Path:
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps(THRESHOLDS))
    return path


def test_the_gate_passes_a_repeat_and_fails_a_slowed_endpoint(
    loopback_server, run_locust, thresholds, tmp_path
):
    fast = loopback_server(0)
    baseline = tmp_path / "baseline"
    run_locust(fast, baseline / "locust")
    (baseline / "run.json").write_text(
        json.dumps({"schema": 1, "users": USERS, "run_time_s": float(RUN_TIME_S), "git_commit": "abc"})
    )
    repeat = run_locust(fast, tmp_path / "repeat" / "smoke")
    slowed = run_locust(loopback_server(SLOW_MS), tmp_path / "slowed" / "smoke")

    passed = run_gate(repeat, baseline=baseline, thresholds_path=thresholds)
    failed = run_gate(slowed, baseline=baseline, thresholds_path=thresholds, now=datetime.now(UTC))

    assert passed.results.percentiles_from == "histograms"
    assert set(passed.results.endpoints) == {"GET /api/dashboard/", SLOWED}
    assert passed.baseline_status == "compared"
    assert passed.verdict == "pass", render_markdown(passed)
    assert failed.verdict == "fail" and failed.exit_code == 1
    assert (SLOWED, "p50") in {(f.scope, f.metric) for f in failed.findings if f.level == "fail"}
    assert "GET /api/dashboard/" not in {f.scope for f in failed.findings}
    assert headline(failed).startswith(f"FAIL: {SLOWED} ")
    assert "compared without checking that preset, users and run length match" in render_markdown(failed)


def test_compare_reads_a_plain_csv_prefix_without_histograms(
    loopback_server, run_locust, thresholds, tmp_path
):
    prefix = run_locust(loopback_server(0), tmp_path / "plain" / "run")
    Path(f"{prefix}.json").unlink()

    done = run_loadtest("compare", prefix, "--thresholds", thresholds)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "percentiles from the stats CSV" in done.stdout
    assert "| GET /api/dashboard/ |" in done.stdout  # its row of the per-endpoint table
