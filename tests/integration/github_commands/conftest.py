"""The GitHub commands as the workflows run them: ``python scripts/NAME.py`` against the fake server.

Here: pull request PR open at HEAD on the fake, a summary file, the step-outputs file and its reader.
"""

import pytest

from tests.fakes.github_client import TOKEN
from tests.fakes.github_server import FakeGitHub

HEAD = "c0ffee" + "0" * 34
OTHER = "bad" + "0" * 37
PR = 12


@pytest.fixture
def github():
    """The fake GitHub with pull request PR open at HEAD."""
    with FakeGitHub(token=TOKEN) as server:
        server.add_pull(PR, head_sha=HEAD)
        yield server


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
