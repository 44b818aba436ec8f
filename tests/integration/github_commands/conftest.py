"""The GitHub commands as the workflows run them: ``loadtest NAME`` against the fake server.

Here: pull request PR open at HEAD on the fake, from a fork's branch; the workflow_run event of the run
that tested it; a summary file, the step-outputs file and its reader.
"""

import json

import pytest

from tests.conftest import run_loadtest
from tests.fakes.github_client import TOKEN, github_env
from tests.fakes.github_server import FakeGitHub

HEAD = "c0ffee" + "0" * 34
OTHER = "bad" + "0" * 37
PR = 12
FORK = "contributor/loadtest"
BRANCH = "fix-login"
RUN_ID = 4242


@pytest.fixture
def github():
    """The fake GitHub with pull request PR open at HEAD, from the fork's BRANCH."""
    with FakeGitHub(token=TOKEN) as server:
        server.add_pull(PR, head_sha=HEAD, head_repository=FORK, head_branch=BRANCH)
        yield server


@pytest.fixture
def workflow_run(tmp_path):
    """GITHUB_EVENT_PATH of the comment workflow: the workflow_run event of the run that tested PR."""
    return write_event(tmp_path / "event.json")


def write_event(path, *, head_sha=HEAD, repository=FORK, branch=BRANCH):
    """A workflow_run event as GitHub sends the comment workflow, naming the run's head."""
    run = {
        "id": RUN_ID,
        "event": "pull_request",
        "head_sha": head_sha,
        "head_branch": branch,
        "head_repository": {"full_name": repository},
        "html_url": f"https://github.com/amal-education/loadtest/actions/runs/{RUN_ID}",
        "pull_requests": [],
    }
    path.write_text(json.dumps({"workflow_run": run}))
    return str(path)


@pytest.fixture
def summary(tmp_path):
    """A summary.md as the gate writes it."""
    path = tmp_path / "summary.md"
    path.write_text("## Load test: smoke\n\nPassed.\n", encoding="utf-8")
    return path


@pytest.fixture
def outputs(tmp_path):
    """Where GITHUB_OUTPUT points: the step outputs a command writes."""
    return tmp_path / "github_output"


def step_outputs(path):
    """The outputs a command wrote to GITHUB_OUTPUT, by name."""
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def post_artifact(github, artifact, event, *args, **env):
    """``loadtest post-comment --artifact ARTIFACT ARGS`` as the comment workflow runs it, with ``event``."""
    environ = github_env(github, GITHUB_EVENT_PATH=str(event), **env)
    return run_loadtest("post-comment", "--artifact", artifact, *args, env=environ)
