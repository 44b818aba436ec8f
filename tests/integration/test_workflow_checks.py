"""The repository's own checks as tools run them: actionlint (with ShellCheck), zizmor, ruff.

The workflow rules that need no tool are in tests/unit/test_workflow_rules.py.
"""

import shutil

import pytest

from tests.conftest import run_command

pytestmark = pytest.mark.slow


def test_actionlint_with_shellcheck_reports_nothing():
    assert shutil.which("shellcheck"), ".ci/run installs shellcheck, which actionlint uses on run: scripts"
    result = run_command("actionlint", "-shellcheck", shutil.which("shellcheck"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_reports_nothing(persona):
    result = run_command("zizmor", "--offline", f"--persona={persona}", ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_ruff_lint_and_format_are_clean():
    lint = run_command("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    fmt = run_command("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout
