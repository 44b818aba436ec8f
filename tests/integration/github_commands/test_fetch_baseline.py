"""loadtest fetch-baseline: the newest baseline of a preset, or a notice, never a failed step."""

import json

import pytest

from tests.conftest import run_loadtest
from tests.fakes.github_client import TOKEN, github_env
from tests.fakes.github_server import make_bundle_zip, make_zip
from tests.integration.github_commands.conftest import HEAD, step_outputs

pytestmark = pytest.mark.slow


def test_fetch_baseline_found(github, tmp_path, outputs):
    run_id = github.add_run(head_sha=HEAD)
    github.add_artifact(run_id, "loadtest-baseline-smoke", make_bundle_zip())
    env = github_env(github, GITHUB_OUTPUT=str(outputs))
    result = run_loadtest("fetch-baseline", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0, result.stderr
    assert f"run {run_id} at commit {HEAD[:12]}" in result.stdout
    assert step_outputs(outputs) == {"found": "true", "run-id": str(run_id), "head-sha": HEAD}
    assert (tmp_path / "base" / "run.json").is_file()


def test_fetch_baseline_uses_the_default_branch_from_the_event(github, tmp_path, outputs):
    github.add_artifact(github.add_run(branch="trunk"), "loadtest-baseline-smoke", make_bundle_zip())
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "trunk"}}))
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_EVENT_PATH=str(event))
    result = run_loadtest("fetch-baseline", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0 and step_outputs(outputs)["found"] == "true"
    (listing,) = github.requests_matching("GET", r"/workflows/loadtest\.yml/runs$")
    assert listing.query["branch"] == "trunk"


def test_fetch_baseline_none_yet_exits_0_with_a_notice(github, tmp_path, outputs):
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_ACTIONS="true")
    result = run_loadtest("fetch-baseline", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0
    assert result.stdout.startswith("::notice::no baseline yet for smoke")
    assert step_outputs(outputs) == {"found": "false", "run-id": "", "head-sha": ""}


def test_fetch_baseline_without_a_token_is_local_use(tmp_path, outputs):
    env = github_env(None, GITHUB_OUTPUT=str(outputs))
    result = run_loadtest("fetch-baseline", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0
    assert "no GITHUB_TOKEN" in result.stdout
    assert step_outputs(outputs)["found"] == "false"


def test_fetch_baseline_unsafe_zip_is_a_warning_not_a_failure(github, tmp_path, outputs):
    evil = make_zip({"run.json": "{}", "../escape": "x"})
    github.add_artifact(github.add_run(), "loadtest-baseline-smoke", evil)
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_ACTIONS="true")
    result = run_loadtest("fetch-baseline", "--preset", "smoke", "--out", tmp_path / "base", env=env)
    assert result.returncode == 0
    assert "::warning::no baseline for smoke: the zip holds an unsafe path" in result.stdout
    assert not (tmp_path / "base").exists() and not (tmp_path / "escape").exists()
    assert step_outputs(outputs)["found"] == "false"


def test_fetch_baseline_with_a_rejected_token_warns_and_never_prints_it(github, tmp_path, outputs):
    env = github_env(github, GITHUB_OUTPUT=str(outputs), GITHUB_TOKEN=TOKEN + "-revoked")
    result = run_loadtest("fetch-baseline", "--preset", "smoke", "--out", tmp_path / "base", env=env)
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
    result = run_loadtest("fetch-baseline", *args, env=github_env(None))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_fetch_baseline_refuses_a_non_empty_destination(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "keep.txt").write_text("mine")
    result = run_loadtest(
        "fetch-baseline", "--preset", "smoke", "--out", tmp_path / "base", env=github_env(None)
    )
    assert result.returncode == 2 and "not empty" in result.stderr
