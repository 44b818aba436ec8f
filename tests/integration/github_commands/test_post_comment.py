"""scripts/post_comment.py: the sticky comment created, then updated; without a token or a PR, printed."""

import json

import pytest

from loadtest.text.summary_limits import SUMMARY_MARKER
from tests.conftest import run_script
from tests.fakes.github_client import TOKEN, github_env
from tests.integration.github_commands.conftest import PR

pytestmark = pytest.mark.slow


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
