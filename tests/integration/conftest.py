"""Integration tier: real Locust runs as subprocesses against the stand-in API on loopback."""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import API_KEY, run_command
from tests.fakes.github_client import TOKEN, client_for
from tests.fakes.github_server import FakeGitHub

FAST_WAITS = ["--wait-min", "0.05", "--wait-max", "0.2"]
"""Short waits so that a 10-15 s run reaches every endpoint."""


@dataclass
class LocustRun:
    returncode: int
    output: str
    prefix: Path

    def stats(self) -> dict[str, dict[str, str]]:
        """Rows of the stats CSV keyed by name (``Aggregated`` included)."""
        with open(f"{self.prefix}_stats.csv", newline="", encoding="utf-8") as fh:
            return {row["Name"]: row for row in csv.DictReader(fh)}

    def requests(self, name: str) -> int:
        return int(self.stats().get(name, {}).get("Request Count", 0))

    def failures_text(self) -> str:
        return Path(f"{self.prefix}_failures.csv").read_text(encoding="utf-8")

    def failures(self, name: str = "Aggregated") -> int:
        return int(self.stats()[name]["Failure Count"])


@pytest.fixture
def run_locust(tmp_path):
    """Run ``locust -f locustfile.py`` headless against HOST; returns a LocustRun."""

    def run(
        host: str, *args: str, users: int = 10, run_time: str = "12s", env: dict | None = None
    ) -> LocustRun:
        prefix = tmp_path / "locust"
        cmd = [sys.executable, "-m", "locust", "-f", "locustfile.py", "--headless", "--host", host]
        cmd += ["-u", str(users), "-r", str(users), "-t", run_time, "--csv", str(prefix)]
        cmd += ["--json-file", str(prefix), "--only-summary", *FAST_WAITS, *args]
        proc = run_command(*cmd, env={"LOADTEST_API_KEY": API_KEY, **(env or {})}, timeout=120)
        return LocustRun(proc.returncode, proc.stdout + proc.stderr, prefix)

    return run


@pytest.fixture
def github():
    """The fake GitHub REST server on loopback, with pull request 7 open."""
    with FakeGitHub(token=TOKEN) as server:
        server.add_pull(7, head_sha="a" * 40)
        yield server


@pytest.fixture
def sleeps():
    """Where a client made by ``client`` records its waits instead of sleeping."""
    return []


@pytest.fixture
def client(github, sleeps):
    """A GitHub client for the fake server, with small timeouts and recorded waits."""
    with client_for(github, sleeps=sleeps) as c:
        yield c
