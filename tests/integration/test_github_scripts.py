"""The three GitHub scripts as the workflows run them: subprocesses against the fake server."""

import json

import pytest

from loadtest.github.comment_artifact import HEAD_SHA_FILE, PR_NUMBER_FILE, write_comment_artifact
from loadtest.summary_limits import SUMMARY_MARKER
from tests.conftest import run_script
from tests.fakes.github_client import TOKEN, github_env
from tests.fakes.github_server import FakeGitHub, make_bundle_zip, make_zip

pytestmark = pytest.mark.slow

HEAD = "c0ffee" + "0" * 34
OTHER = "bad" + "0" * 37
PR = 12


@pytest.fixture
def github():
    with FakeGitHub(token=TOKEN) as server:
        server.add_pull(PR, head_sha=HEAD)
        yield server


@pytest.fixture
def summary(tmp_path):
    path = tmp_path / "summary.md"
    path.write_text("## Load test: smoke\n\nPassed.\n", encoding="utf-8")
    return path


@pytest.fixture
def outputs(tmp_path):
    return tmp_path / "github_output"


def step_outputs(path):
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


# fetch_baseline.py


def test_fetch_baseline_found(github, tmp_path, outputs):
    run_id = github.add_run(head_sha=HEAD)
    github.add_artifact(run_id, "loadtest-baseline-smoke", make_bundle_zip())
    env = github_env(github, GITHUB_OUTPUT=str(outputs))
    result = run_script("fetch_baseline.py", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0, result.stderr
    assert f"run {run_id} at commit {HEAD[:12]}" in result.stdout
    assert step_outputs(outputs) == {"found": "true", "run-id": str(run_id), "head-sha": HEAD}
    assert (tmp_path / "base" / "run.json").is_file()


def test_fetch_baseline_uses_the_default_branch_from_the_event(github, tmp_path, outputs):
    github.add_artifact(github.add_run(branch="trunk"), "loadtest-baseline-smoke", make_bundle_zip())
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "trunk"}}))
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_EVENT_PATH=str(event))
    result = run_script("fetch_baseline.py", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0 and step_outputs(outputs)["found"] == "true"
    (listing,) = github.requests_matching("GET", r"/workflows/loadtest\.yml/runs$")
    assert listing.query["branch"] == "trunk"


def test_fetch_baseline_none_yet_exits_0_with_a_notice(github, tmp_path, outputs):
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_ACTIONS="true")
    result = run_script("fetch_baseline.py", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0
    assert result.stdout.startswith("::notice::no baseline yet for smoke")
    assert step_outputs(outputs) == {"found": "false", "run-id": "", "head-sha": ""}


def test_fetch_baseline_without_a_token_is_local_use(tmp_path, outputs):
    env = github_env(None, GITHUB_OUTPUT=str(outputs))
    result = run_script("fetch_baseline.py", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0
    assert "no GITHUB_TOKEN" in result.stdout
    assert step_outputs(outputs)["found"] == "false"


def test_fetch_baseline_unsafe_zip_is_a_warning_not_a_failure(github, tmp_path, outputs):
    evil = make_zip({"run.json": "{}", "../escape": "x"})
    github.add_artifact(github.add_run(), "loadtest-baseline-smoke", evil)
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_ACTIONS="true")
    result = run_script("fetch_baseline.py", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0
    assert "::warning::no baseline for smoke: the zip holds an unsafe path" in result.stdout
    assert not (tmp_path / "base").exists() and not (tmp_path / "escape").exists()
    assert step_outputs(outputs)["found"] == "false"


def test_fetch_baseline_with_a_rejected_token_warns_and_never_prints_it(github, tmp_path, outputs):
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_TOKEN=TOKEN + "-revoked")
    result = run_script("fetch_baseline.py", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0
    assert "HTTP 401: Bad credentials" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [["--preset", "../smoke"], ["--preset", "smoke", "--workflow", "x;y"], ["--out", "x"]],
    ids=["bad-preset", "bad-workflow", "missing-preset"],
)
def test_fetch_baseline_usage_errors_exit_2_in_one_line(tmp_path, args):
    if "--out" not in args:
        args = [*args, "--out", str(tmp_path / "base")]
    result = run_script("fetch_baseline.py", *args, env=github_env(None))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_fetch_baseline_refuses_a_non_empty_destination(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "keep.txt").write_text("mine")
    result = run_script(
        "fetch_baseline.py", "--preset", "smoke", "--out", tmp_path / "base", env=github_env(None)
    )
    assert result.returncode == 2 and "not empty" in result.stderr


# post_comment.py


def test_post_comment_creates_then_updates_the_sticky_comment(github, summary):
    env = github_env(github)
    first = run_script("post_comment.py", "--summary", summary, "--pr", PR, env=env)
    summary.write_text("## Load test: smoke\n\nNow slower.\n")
    second = run_script("post_comment.py", "--summary", summary, "--pr", PR, env=env)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert first.stdout.startswith("created") and second.stdout.startswith("updated")
    (comment,) = github.comments(PR)
    assert comment["body"] == f"{SUMMARY_MARKER}\n## Load test: smoke\n\nNow slower.\n"


def test_post_comment_takes_the_pr_from_the_event(github, summary, tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": PR}}))
    result = run_script(
        "post_comment.py", "--summary", summary, env=github_env(github, GITHUB_EVENT_PATH=str(event))
    )
    assert result.returncode == 0, result.stderr
    assert len(github.comments(PR)) == 1


def test_post_comment_without_a_token_prints_the_summary(summary):
    result = run_script("post_comment.py", "--summary", summary, "--pr", PR, env=github_env(None))
    assert result.returncode == 0
    assert "not commenting" in result.stdout and "Passed." in result.stdout


def test_post_comment_without_a_pr_prints_the_summary(github, summary):
    result = run_script("post_comment.py", "--summary", summary, env=github_env(github))
    assert result.returncode == 0
    assert "no pull request number" in result.stdout
    assert github.requests == []


def test_post_comment_missing_summary_exits_2_in_one_line(tmp_path):
    result = run_script(
        "post_comment.py", "--summary", tmp_path / "nope.md", "--pr", PR, env=github_env(None)
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: cannot read the summary")
    assert len(result.stderr.strip().splitlines()) == 1


def test_post_comment_with_a_rejected_token_exits_1_and_never_prints_it(github, summary):
    env = github_env(github, GITHUB_TOKEN=TOKEN + "-revoked")
    result = run_script("post_comment.py", "--summary", summary, "--pr", PR, env=env)
    assert result.returncode == 1
    assert "HTTP 401: Bad credentials" in result.stderr
    assert "Traceback" not in result.stderr
    assert TOKEN not in result.stdout + result.stderr


# the fork-safe path: write_comment_artifact.py, then post_comment.py --artifact


def artifact_dir(tmp_path, summary, *, pr=PR, head=HEAD):
    out = tmp_path / "comment-artifact"
    args = ["--summary", summary, "--pr", pr, "--head-sha", head, "--out", out]
    result = run_script("write_comment_artifact.py", *args, env=github_env(None))
    assert result.returncode == 0, result.stderr
    return out


def test_artifact_round_trip_posts_to_the_pr_it_names(github, summary, tmp_path):
    out = artifact_dir(tmp_path, summary)
    result = run_script(
        "post_comment.py", "--artifact", out, "--expected-head-sha", HEAD, env=github_env(github)
    )
    assert result.returncode == 0, result.stderr
    assert "Passed." in github.comments(PR)[0]["body"]


def test_artifact_expected_sha_defaults_to_the_workflow_run_event(github, summary, tmp_path):
    out = artifact_dir(tmp_path, summary)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"head_sha": HEAD, "pull_requests": []}}))
    result = run_script(
        "post_comment.py", "--artifact", out, env=github_env(github, GITHUB_EVENT_PATH=str(event))
    )
    assert result.returncode == 0, result.stderr
    assert len(github.comments(PR)) == 1


def test_pr_head_sha_mismatch_is_refused(github, summary, tmp_path):
    github.add_pull(13, head_sha=OTHER)
    out = artifact_dir(tmp_path, summary, pr=13, head=HEAD)
    result = run_script(
        "post_comment.py", "--artifact", out, "--expected-head-sha", HEAD, env=github_env(github)
    )
    assert result.returncode == 3
    assert result.stderr.startswith("refused: PR #13 is at bad000000000")
    assert github.requests_matching("POST", r"/comments$") == []


def test_artifact_sha_differing_from_the_run_is_refused_before_any_call(github, summary, tmp_path):
    out = artifact_dir(tmp_path, summary, head=OTHER)
    result = run_script(
        "post_comment.py", "--artifact", out, "--expected-head-sha", HEAD, env=github_env(github)
    )
    assert result.returncode == 3
    assert github.requests == []


@pytest.mark.parametrize("pr_number", ["12abc", "-12", "0", "12 ", "1e3", "12\n13", "$(id)", ""])
def test_invalid_pr_number_in_artifact_is_refused(github, summary, tmp_path, pr_number):
    out = tmp_path / "artifact"
    write_comment_artifact(out, summary="x", pr_number=PR, head_sha=HEAD)
    (out / PR_NUMBER_FILE).write_text(pr_number)
    result = run_script(
        "post_comment.py", "--artifact", out, "--expected-head-sha", HEAD, env=github_env(github)
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {PR_NUMBER_FILE}:")
    assert github.requests == []


def test_invalid_head_sha_in_artifact_is_refused(github, tmp_path):
    out = tmp_path / "artifact"
    write_comment_artifact(out, summary="x", pr_number=PR, head_sha=HEAD)
    (out / HEAD_SHA_FILE).write_text("main")
    result = run_script(
        "post_comment.py", "--artifact", out, "--expected-head-sha", HEAD, env=github_env(github)
    )
    assert result.returncode == 2 and github.requests == []


def test_write_comment_artifact_rejects_a_bad_sha(summary, tmp_path):
    args = ["--summary", summary, "--pr", PR, "--head-sha", "HEAD", "--out", tmp_path / "o"]
    result = run_script("write_comment_artifact.py", *args, env=github_env(None))
    assert result.returncode == 2 and not (tmp_path / "o").exists()


def test_an_artifact_naming_a_pr_that_does_not_exist_is_refused(github, summary, tmp_path):
    out = artifact_dir(tmp_path, summary, pr=999)
    result = run_script(
        "post_comment.py", "--artifact", out, "--expected-head-sha", HEAD, env=github_env(github)
    )
    assert result.returncode == 3
    assert "PR #999 does not exist" in result.stderr


# fetch_comment.py


def test_fetch_comment_unpacks_the_runs_comment_artifact(github, tmp_path, outputs):
    run_id = github.add_run(event="pull_request", branch="feature", head_sha=HEAD)
    files = {"summary.md": f"{SUMMARY_MARKER}\nhi\n", PR_NUMBER_FILE: f"{PR}\n", HEAD_SHA_FILE: HEAD}
    github.add_artifact(run_id, "loadtest-comment", make_zip(files))
    out = tmp_path / "comment"
    result = run_script(
        "fetch_comment.py",
        "--run-id",
        run_id,
        "--out",
        out,
        env=github_env(github, GITHUB_OUTPUT=str(outputs)),
    )
    assert result.returncode == 0, result.stderr
    assert (out / PR_NUMBER_FILE).read_text() == f"{PR}\n"
    assert step_outputs(outputs)["found"] == "true"


def test_fetch_comment_without_an_artifact_says_so_and_exits_0(github, tmp_path, outputs):
    run_id = github.add_run(event="pull_request", branch="feature", head_sha=HEAD)
    result = run_script(
        "fetch_comment.py",
        "--run-id",
        run_id,
        "--out",
        tmp_path / "c",
        env=github_env(github, GITHUB_OUTPUT=str(outputs)),
    )
    assert result.returncode == 0
    assert "nothing to post" in result.stdout + result.stderr
    assert step_outputs(outputs)["found"] == "false"
    assert not (tmp_path / "c").exists()


def test_fetch_comment_refuses_path_traversal_and_writes_nothing(github, tmp_path):
    run_id = github.add_run(event="pull_request", branch="feature", head_sha=HEAD)
    github.add_artifact(run_id, "loadtest-comment", make_zip({"../evil": "x", PR_NUMBER_FILE: "1"}))
    result = run_script(
        "fetch_comment.py", "--run-id", run_id, "--out", tmp_path / "c", env=github_env(github)
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and TOKEN not in result.stdout + result.stderr
    assert not (tmp_path / "c").exists() and not (tmp_path / "evil").exists()


def test_write_comment_artifact_without_a_summary_tells_the_pr_there_is_no_result(tmp_path):
    env = github_env(None, GITHUB_RUN_ID="4242", GITHUB_REPOSITORY="amal-education/loadtest")
    out = tmp_path / "comment"
    result = run_script(
        "write_comment_artifact.py",
        "--summary",
        tmp_path / "missing.md",
        "--pr",
        PR,
        "--head-sha",
        HEAD,
        "--out",
        out,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    body = (out / "summary.md").read_text()
    assert body.startswith(SUMMARY_MARKER)
    assert "no result" in body and "actions/runs/4242" in body
