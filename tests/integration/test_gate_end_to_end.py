"""The gate on real Locust output: a threefold slowdown of one endpoint fails, a repeat passes.

Every answer waits BASE_MS (the stand-in sleeps at least that long), so a busy machine's few ms are
small against it: a repeat fails only 30% AND 50 ms slower (thresholds.json's top level), which is
90 ms at the median or p95 of a run whose every request takes 300 ms by construction; the slowed
endpoint's 900 ms is a lower bound."""

import json

import pytest

from loadtest.sandbox import running_sandbox, set_faults
from tests.conftest import run_loadtest
from tests.integration.conftest import API_KEY

pytestmark = pytest.mark.slow
BASE_MS = 300
SLOWED = "GET /api/dashboard/"


def everywhere(latency_ms: int) -> list[dict]:
    return [{"match": "*", "latency_ms": latency_ms}]


def test_threefold_slowdown_fails_and_a_repeat_passes(run_locust, tmp_path_factory):
    runs = {}
    with running_sandbox(api_key=API_KEY, admin=True, faults=everywhere(BASE_MS)) as url:
        runs["baseline"] = _keep(run_locust(url, users=20, run_time="12s").prefix, tmp_path_factory)
        set_faults(url, [{"match": SLOWED, "latency_ms": 3 * BASE_MS}, *everywhere(BASE_MS)])
        runs["slowed"] = _keep(run_locust(url, users=20, run_time="12s").prefix, tmp_path_factory)
        set_faults(url, everywhere(BASE_MS))
        runs["repeat"] = _keep(run_locust(url, users=20, run_time="12s").prefix, tmp_path_factory)

    verdict_file = tmp_path_factory.mktemp("verdict") / "verdict.json"
    slowed = run_loadtest(
        "compare", str(runs["slowed"]), "--baseline", str(runs["baseline"]), "--json", str(verdict_file)
    )
    assert slowed.returncode == 1, slowed.stdout[-3000:] + slowed.stderr
    assert SLOWED in slowed.stdout.split("\n", 3)[2], "the headline names the slowed endpoint"
    failed = {f["scope"] for f in json.loads(verdict_file.read_text())["findings"] if f["level"] == "fail"}
    # The slowed endpoint fails; the aggregate may too (it contains it); nothing else does.
    assert SLOWED in failed and failed <= {SLOWED, "Aggregated"}, failed

    repeat = run_loadtest("compare", str(runs["repeat"]), "--baseline", str(runs["baseline"]))
    assert repeat.returncode == 0, repeat.stdout[-3000:]


def _keep(prefix, tmp_path_factory):
    """run_locust writes into the test's tmp_path; move each run's files aside under its own prefix."""
    target = tmp_path_factory.mktemp("run") / "locust"
    for path in prefix.parent.glob(prefix.name + "*"):
        path.rename(target.parent / path.name)
    return target
