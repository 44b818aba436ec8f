"""The repository's own checks as tools run them: actionlint (with ShellCheck), zizmor, ruff.

actionlint and zizmor cover this repository's workflows, the action (action.yml: actionlint reads it
where the workflows call it, `uses: ./`, and ShellCheck reads its scripts here) and the example
workflows for the API's repository. The workflow rules that need no tool are in
tests/unit/test_workflow_rules.py.
"""

import re
import shutil
import textwrap

import pytest

from tests.conftest import ROOT, run_command

pytestmark = pytest.mark.slow

EXAMPLE_WORKFLOWS = sorted((ROOT / "examples").glob("*/.github/workflows/*.yml"))
AUDITED = (".github", "action.yml", "examples")


def shellcheck() -> str:
    found = shutil.which("shellcheck")
    assert found, ".ci/run installs shellcheck, which actionlint uses on run: scripts"
    return found


@pytest.mark.parametrize("files", [[], EXAMPLE_WORKFLOWS], ids=["own-workflows", "example-workflows"])
def test_actionlint_with_shellcheck_reports_nothing(files):
    # No file: actionlint finds .github/workflows itself, and checks action.yml where it is used.
    result = run_command("actionlint", "-shellcheck", shellcheck(), *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def action_scripts() -> list[str]:
    """The bash of every run: step of action.yml, which is single-quoted, folded (>-) or literal (|)."""
    lines = (ROOT / "action.yml").read_text(encoding="utf-8").splitlines()
    scripts = []
    for i, line in enumerate(lines):
        found = re.match(r"(\s*)run: (.*)$", line)
        if not found:
            continue
        indent, value = len(found.group(1)), found.group(2)
        if value in (">-", "|"):
            block = []
            for following in lines[i + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                block.append(following)
            if value == "|":
                scripts.append(textwrap.dedent("\n".join(block)))
            else:
                scripts.append(" ".join(part.strip() for part in block if part.strip()))
        else:
            assert value.startswith("'") and value.endswith("'"), f"action.yml: {line}"
            scripts.append(value[1:-1].replace("''", "'"))
    return scripts


def test_shellcheck_reports_nothing_in_the_actions_scripts():
    scripts = action_scripts()
    assert len(scripts) >= 8, "every step of the action that runs a command"
    for script in scripts:
        result = run_command(shellcheck(), "-s", "bash", "-", input=script + "\n")
        assert result.returncode == 0, script + "\n" + result.stdout


@pytest.mark.parametrize("persona", ["regular", "pedantic", "auditor"])
def test_zizmor_reports_nothing(persona):
    result = run_command("zizmor", "--offline", f"--persona={persona}", *AUDITED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr
    for audited in ("action.yml", *(p.relative_to(ROOT).as_posix() for p in EXAMPLE_WORKFLOWS)):
        assert f"completed {audited}" in result.stderr, f"zizmor did not audit {audited}"


def test_ruff_lint_and_format_are_clean():
    lint = run_command("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    fmt = run_command("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout
