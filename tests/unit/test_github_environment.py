"""One reader of GitHub's environment: loadtest.github.environment.GitHubEnv, and no other module."""

from __future__ import annotations

import ast
import re

import pytest

from loadtest.github.environment import GitHubEnv, variable
from tests.conftest import ROOT

READER = ROOT / "loadtest" / "github" / "environment.py"
GITHUB_NAME = re.compile(r"GITHUB_[A-Z_]+")


def github_names(source: str) -> list[str]:
    """The ``GITHUB_*`` variable names written as strings in ``source`` (a name in prose is no read)."""
    return [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and GITHUB_NAME.fullmatch(node.value)
    ]


def test_no_module_but_the_reader_names_a_github_variable():
    found = {
        str(path.relative_to(ROOT)): names
        for path in sorted((ROOT / "loadtest").rglob("*.py"))
        if path != READER and (names := github_names(path.read_text(encoding="utf-8")))
    }
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        'os.environ.get("GITHUB_RUN_ID", "")',
        'os.getenv("GITHUB_TOKEN")',
        'env["GITHUB_REPOSITORY"]',
        '"GITHUB_OUTPUT" in os.environ',
    ],
)
def test_the_check_sees_a_read(source: str):
    assert github_names(source)


def test_a_name_in_prose_is_no_read():
    assert github_names('"""Reads GITHUB_TOKEN."""\nprint("no GITHUB_TOKEN or GITHUB_REPOSITORY")') == []


def test_each_field_is_its_variable_stripped_and_unset_is_empty():
    github = GitHubEnv.from_environ(
        {"GITHUB_RUN_ID": " 42\n", "GITHUB_STEP_SUMMARY": "/tmp/s.md", "GITHUB_ACTIONS": "true", "HOME": "/x"}
    )
    assert (github.run_id, github.step_summary, github.repository) == ("42", "/tmp/s.md", "")
    assert github.in_actions
    assert not GitHubEnv.from_environ({"GITHUB_ACTIONS": "1"}).in_actions
    assert variable("workflow_ref") == "GITHUB_WORKFLOW_REF"


def test_the_token_never_reaches_a_repr():
    github = GitHubEnv.from_environ({"GITHUB_TOKEN": "ghs_secret123", "GITHUB_REPOSITORY": "o/r"})
    assert github.token == "ghs_secret123"
    assert "ghs_secret123" not in repr(github)
    assert "o/r" in repr(github)


def test_it_is_keyword_only():
    with pytest.raises(TypeError):
        GitHubEnv("true")  # type: ignore[misc]
