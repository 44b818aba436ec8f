"""scripts/fetch_comment.py: a run's comment artifact unpacked for the comment workflow, safely."""

import pytest

from loadtest.github.comment_artifact import HEAD_SHA_FILE, PR_NUMBER_FILE
from loadtest.text.summary_limits import SUMMARY_MARKER
from tests.conftest import run_script
from tests.fakes.github_client import TOKEN, github_env
from tests.fakes.github_server import make_zip
from tests.integration.github_commands.conftest import HEAD, PR, step_outputs

pytestmark = pytest.mark.slow


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


def test_fetch_comment_refuses_path_traversal_with_exit_2_and_writes_nothing(github, tmp_path):
    run_id = github.add_run(event="pull_request", branch="feature", head_sha=HEAD)
    github.add_artifact(run_id, "loadtest-comment", make_zip({"../evil": "x", PR_NUMBER_FILE: "1"}))
    result = run_script(
        "fetch_comment.py", "--run-id", run_id, "--out", tmp_path / "c", env=github_env(github)
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and TOKEN not in result.stdout + result.stderr
    assert not (tmp_path / "c").exists() and not (tmp_path / "evil").exists()
