"""The repository's own checks: actionlint (with ShellCheck), zizmor, ruff, and the workflow rules."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_actionlint_with_shellcheck_reports_nothing():
    assert shutil.which("shellcheck"), ".ci/run installs shellcheck, which actionlint uses on run: scripts"
    result = run("actionlint", "-shellcheck", shutil.which("shellcheck"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_reports_nothing(persona):
    result = run("zizmor", "--offline", f"--persona={persona}", ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_ruff_lint_and_format_are_clean():
    lint = run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout
    fmt = run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(workflow):
    for line in workflow.read_text().splitlines():
        if "uses:" in line:
            assert re.search(r"uses: [\w./-]+@[0-9a-f]{40} # v\d", line), f"{workflow.name}: {line.strip()}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_checkouts_keep_no_credentials(workflow):
    text = workflow.read_text()
    checkouts = text.count("uses: actions/checkout@")
    assert checkouts == text.count("persist-credentials: false")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_no_expressions_inside_run_and_no_long_logic(workflow):
    lines = workflow.read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"\s+run: ", line):
            block = [line]
            indent = len(line) - len(line.lstrip())
            for following in lines[i + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                block.append(following)
            script = "\n".join(block)
            assert "${{" not in script, (
                f"{workflow.name}: values go through env:, not into run: ({line.strip()})"
            )
            commands = (
                [b for b in block[1:] if b.strip()] if line.rstrip().endswith((">-", ">", "|")) else [line]
            )
            assert len(commands) <= 2, f"{workflow.name}: a step calls a script, it does not hold logic"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_empty_at_the_top_and_every_job_has_a_time_limit(workflow):
    text = workflow.read_text()
    assert "\npermissions: {}\n" in text
    jobs = re.findall(r"^  [\w-]+:\n(?:    .*\n|\n)+", text.split("\njobs:\n", 1)[1], re.MULTILINE)
    assert jobs
    for job in jobs:
        assert "    permissions:" in job and "    timeout-minutes:" in job, job.splitlines()[0]
