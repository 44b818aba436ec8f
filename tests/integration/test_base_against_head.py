"""A base against a head in one real run (``run_tests.py --base-host``): two stand-in APIs on loopback.

The head answers one endpoint with HTTP 500 every time (an injected fault), the base never: the
paired verdict must name it whatever the machine's speed, since a status does not depend on timing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil
import pytest

from loadtest import bundle
from loadtest.exitcodes import ExitCode
from loadtest.sides import block_side
from tests.conftest import run_loadtest
from tests.integration.conftest import API_KEY
from tests.integration.test_started_api import STAND_IN, facts, git_checkout, run_tests

pytestmark = pytest.mark.slow

BROKEN = "GET /api/dashboard/v2/search/"


def test_a_500_only_the_head_answers_fails_the_run_against_its_base(sandbox_factory, tmp_path):
    base = sandbox_factory(seed=1)
    head = sandbox_factory(seed=2, faults=[{"match": BROKEN, "error_rate": 1.0, "error_status": 500}])
    out = tmp_path / "ab"
    done = run_loadtest(
        "run",
        # Only the dashboard's tasks (the dashboard and its search), so that the broken search gets
        # requests in every run: among all 13 tasks, 4 users in 8 s sent it none in one CI run.
        *("--headless", "-u", "4", "-t", "8s", "--seed", "3", "--tags", "dashboard", "--out", out),
        *("--host", head, "--base-host", base, "--base-commit", "b" * 40),
        env={"LOADTEST_API_KEY": API_KEY},
    )
    assert done.returncode == 1, done.stdout + done.stderr

    facts = bundle.read_run_facts(out / bundle.RUN_FACTS)
    assert (facts.design, facts.base_host, facts.base_git_commit) == ("paired", base, "b" * 40)
    rows = bundle.read_results(out).endpoints
    sides = {bundle.split_side_row(name)[1] for name in rows if bundle.split_side_row(name)}
    assert sides == {"base", "head"}
    # The paired design sends every task to both sides: each endpoint has as many requests on each.
    for name in facts.endpoints:
        base_row, head_row = rows.get(bundle.side_row(name, "base")), rows.get(bundle.side_row(name, "head"))
        if base_row or head_row:
            assert base_row is not None and head_row is not None and base_row.requests == head_row.requests

    verdict = json.loads((out / bundle.VERDICT_JSON).read_text(encoding="utf-8"))
    assert (verdict["comparison"], verdict["base_git_commit"], verdict["design"]) == (
        "base",
        "b" * 40,
        "paired",
    )
    new_errors = [f for f in verdict["findings"] if f["source"].startswith("regression.base.new_error")]
    assert [(f["scope"], f["level"]) for f in new_errors] == [(BROKEN, "fail")]
    # The headline names the endpoint; whether its new 500 or its failure ratio leads depends on how many
    # requests it got (both are findings above the base, and both fail).
    assert verdict["headline"].startswith(f"FAIL: {BROKEN}")


def test_nothing_the_run_started_is_left_running(sandbox_factory, tmp_path):
    base, head = sandbox_factory(seed=1), sandbox_factory(seed=2)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = run_loadtest(
        "run",
        *("--headless", "-u", "2", "-t", "3s", "--out", tmp_path / "ab", "--host", head, "--base-host", base),
        *("--design", "blocks", "--block-s", "1", "--no-gate"),
        env={"LOADTEST_API_KEY": API_KEY},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.pid for p in psutil.Process().children(recursive=True)} == before
    assert bundle.read_run_facts(tmp_path / "ab" / bundle.RUN_FACTS).design == "blocks"
    # Which blocks a busy machine reaches in 3 s varies; that each went to its side does not.
    rows = bundle.read_results(tmp_path / "ab").endpoints
    blocks = [bundle.split_side_row(name)[1:] for name in rows if bundle.split_side_row(name)]
    assert ("base", 0) in blocks
    assert all(side == block_side(block) for side, block in blocks if block is not None)


def group_members(pgid: int) -> list[int]:
    """Live processes (not zombies) of process group ``pgid``, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def started_checkouts(tmp_path: Path) -> tuple[Path, Path, str]:
    """A head's and a base's checkout (two commits apart), and the base's commit."""
    head, base = tmp_path / "head", tmp_path / "base"
    git_checkout(head)
    return head, base, git_checkout(base)


# Each side's start command records its process group and leaves a child in it: both must be stopped.
START = f"echo $$ > group-$LOADTEST_SIDE; sleep 1000 & exec {STAND_IN}"
SETUP = 'echo "$LOADTEST_SIDE" > setup-ran'


def test_the_base_is_set_up_and_started_from_its_own_checkout_and_both_are_stopped(tmp_path):
    head, base, base_commit = started_checkouts(tmp_path)
    out = tmp_path / "bundle"

    ran = run_tests(
        *("-u", "2", "-t", "3s", "--out", out, "--no-gate"),
        *("--start", START, "--setup", SETUP, "--dir", head, "--base-dir", base),
    )

    assert ran.returncode == ExitCode.OK, ran.stdout + ran.stderr
    assert (head / "setup-ran").read_text() == "head\n" and (base / "setup-ran").read_text() == "base\n"
    run = facts(out)
    assert (run["design"], run["base_git_commit"], run["target"]) == ("paired", base_commit, "started")
    assert run["base_host"].startswith("http://127.0.0.1:") and run["base_host"] != run["host"]
    assert "sandbox listening on" in (out / bundle.BASE_SERVER_LOG).read_text(encoding="utf-8")
    rows = bundle.read_results(out).endpoints
    assert {bundle.split_side_row(name)[1] for name in rows if bundle.split_side_row(name)} == {
        "base",
        "head",
    }
    for side_checkout in (head, base):
        assert group_members(int((side_checkout / f"group-{side_checkout.name}").read_text())) == []


def test_a_failing_setup_of_the_base_ends_with_exit_3_and_stops_the_head(tmp_path):
    head, base, _ = started_checkouts(tmp_path)
    setup = 'test "$LOADTEST_SIDE" = head || { echo "no database for the base"; exit 4; }'

    ran = run_tests(
        "--out", tmp_path / "bundle", "--start", START, "--setup", setup, "--dir", head, "--base-dir", base
    )

    assert ran.returncode == ExitCode.NOT_MEASURED, ran.stdout + ran.stderr
    assert "no database for the base" in ran.stderr
    assert not (base / "group-base").exists(), "the base is not started after its failed setup"
    assert group_members(int((head / "group-head").read_text())) == []


# The base's stand-in ends (exit status 7) once it has served 100 requests, so during the load (the
# preflight sends a handful); the head's serves on. The run must end as when the head's API ends.
_SERVED_100 = (
    f"{sys.executable} -c 'import sys, time; from loadtest.sandbox import get_stats\n"
    'while get_stats(sys.argv[1])["requests_served"] < 100: time.sleep(0.1)\' '
    '"http://127.0.0.1:$PORT"'
)
BASE_ENDS = (
    f"echo $$ > group-$LOADTEST_SIDE; sleep 1000 & {STAND_IN} & server=$!; "
    f'if [ "$LOADTEST_SIDE" = base ]; then until {_SERVED_100}; do sleep 0.2; done; '
    "kill $server; exit 7; fi; "
    "wait $server"
)


def test_a_base_server_that_ends_during_the_run_ends_it_with_one_finding_naming_the_base(tmp_path):
    head, base, _ = started_checkouts(tmp_path)
    out = tmp_path / "bundle"

    ran = run_tests(*("-t", "60s", "--out", out), *("--start", BASE_ENDS, "--dir", head, "--base-dir", base))

    assert ran.returncode == ExitCode.FAILED, ran.stdout + ran.stderr
    assert "the API server of the base ended (exit status 7): stopping the load" in ran.stderr
    run = facts(out)
    assert run["base_server_exit"] == "exit status 7" and run["server_exit"] is None
    assert run["duration_s"] < run["run_time_s"]
    verdict = json.loads((out / bundle.VERDICT_JSON).read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail"
    [ended] = [f for f in verdict["findings"] if "serves the whole run" in f["rule"]]
    assert ended["rule"] == "the base's API started on the runner serves the whole run"
    assert ended["observed"].startswith("lost the base's API server after ")
    assert "FAIL: the run lost the base's API server after " in verdict["headline"]
    for side_checkout in (head, base):
        assert group_members(int((side_checkout / f"group-{side_checkout.name}").read_text())) == []
