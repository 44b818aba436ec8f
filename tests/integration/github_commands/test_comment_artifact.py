"""The fork-safe path: write_comment_artifact.py, then post_comment.py --artifact to the PR it names."""

import json

import pytest

from loadtest.github.comment_artifact import HEAD_SHA_FILE, PR_NUMBER_FILE, write_comment_artifact
from loadtest.text.summary_limits import SUMMARY_MARKER
from tests.conftest import run_script
from tests.fakes.github_client import github_env
from tests.integration.github_commands.conftest import (
    BRANCH,
    FORK,
    HEAD,
    OTHER,
    PR,
    post_artifact,
    write_event,
)

pytestmark = pytest.mark.slow


def artifact_dir(tmp_path, summary, *, pr=PR, head=HEAD):
    out = tmp_path / "comment-artifact"
    args = ["--summary", summary, "--pr", pr, "--head-sha", head, "--out", out]
    result = run_script("write_comment_artifact.py", *args, env=github_env(None))
    assert result.returncode == 0, result.stderr
    return out


def test_artifact_round_trip_posts_to_the_pr_it_names(github, summary, tmp_path, workflow_run):
    out = artifact_dir(tmp_path, summary)
    result = post_artifact(github, out, workflow_run, "--expected-head-sha", HEAD)
    assert result.returncode == 0, result.stderr
    body = github.comments(PR)[0]["body"]
    assert "Passed." in body
    assert body.endswith(
        "\n\n<sub>Posted by the load-test comment workflow from the artifact of "
        "[run 4242](https://github.com/amal-education/loadtest/actions/runs/4242); "
        "the pull request's own code produced it.</sub>\n"
    )


def test_artifact_expected_sha_defaults_to_the_workflow_run_event(github, summary, tmp_path):
    out = artifact_dir(tmp_path, summary)
    event = write_event(tmp_path / "event.json")
    result = post_artifact(github, out, event)
    assert result.returncode == 0, result.stderr
    assert len(github.comments(PR)) == 1


def test_a_pr_with_the_same_head_commit_from_another_repository_or_branch_is_refused(
    github, summary, tmp_path
):
    """Two PRs can share a head commit (a fork's copy of a branch): the artifact's PR must be the run's."""
    github.add_pull(13, head_sha=HEAD, head_repository="someone-else/loadtest", head_branch=BRANCH)
    github.add_pull(14, head_sha=HEAD, head_repository=FORK, head_branch="another-branch")
    for pr, where in ((13, "someone-else/loadtest:fix-login"), (14, f"{FORK}:another-branch")):
        out = artifact_dir(tmp_path / str(pr), summary, pr=pr)
        event = write_event(tmp_path / f"event-{pr}.json")
        result = post_artifact(github, out, event)
        assert result.returncode == 3, result.stderr
        assert result.stderr == (
            f"refused: PR #{pr} comes from {where}, but the run tested {FORK}:{BRANCH}: "
            "the artifact names another PR; not posting\n"
        )
    assert github.requests_matching("POST", r"/comments$") == []


def test_an_event_naming_no_head_repository_is_refused_before_any_call(github, summary, tmp_path):
    out = artifact_dir(tmp_path, summary)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"head_sha": HEAD, "head_branch": BRANCH}}))
    result = post_artifact(github, out, event)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --expected-head-repository: '' is not owner/name")
    assert github.requests == []


def test_pr_head_sha_mismatch_is_refused(github, summary, tmp_path, workflow_run):
    github.add_pull(13, head_sha=OTHER)
    out = artifact_dir(tmp_path, summary, pr=13, head=HEAD)
    result = post_artifact(github, out, workflow_run, "--expected-head-sha", HEAD)
    assert result.returncode == 3
    assert result.stderr.startswith("refused: PR #13 is at bad000000000")
    assert github.requests_matching("POST", r"/comments$") == []


def test_artifact_sha_differing_from_the_run_is_refused_before_any_call(
    github, summary, tmp_path, workflow_run
):
    out = artifact_dir(tmp_path, summary, head=OTHER)
    result = post_artifact(github, out, workflow_run, "--expected-head-sha", HEAD)
    assert result.returncode == 3
    assert github.requests == []


@pytest.mark.parametrize("pr_number", ["12abc", "-12", "0", "12 ", "1e3", "12\n13", "$(id)", ""])
def test_invalid_pr_number_in_artifact_is_refused(github, summary, tmp_path, pr_number, workflow_run):
    out = tmp_path / "artifact"
    write_comment_artifact(out, summary="x", pr_number=PR, head_sha=HEAD)
    (out / PR_NUMBER_FILE).write_text(pr_number)
    result = post_artifact(github, out, workflow_run, "--expected-head-sha", HEAD)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {PR_NUMBER_FILE}:")
    assert github.requests == []


def test_invalid_head_sha_in_artifact_is_refused(github, tmp_path, workflow_run):
    out = tmp_path / "artifact"
    write_comment_artifact(out, summary="x", pr_number=PR, head_sha=HEAD)
    (out / HEAD_SHA_FILE).write_text("main")
    result = post_artifact(github, out, workflow_run, "--expected-head-sha", HEAD)
    assert result.returncode == 2 and github.requests == []


def test_write_comment_artifact_rejects_a_bad_sha(summary, tmp_path):
    args = ["--summary", summary, "--pr", PR, "--head-sha", "HEAD", "--out", tmp_path / "o"]
    result = run_script("write_comment_artifact.py", *args, env=github_env(None))
    assert result.returncode == 2 and not (tmp_path / "o").exists()


def test_an_artifact_naming_a_pr_that_does_not_exist_is_refused(github, summary, tmp_path, workflow_run):
    out = artifact_dir(tmp_path, summary, pr=999)
    result = post_artifact(github, out, workflow_run, "--expected-head-sha", HEAD)
    assert result.returncode == 3
    assert "PR #999 does not exist" in result.stderr


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
    assert "no result" in body and "See the log of run 4242 for why." in body
