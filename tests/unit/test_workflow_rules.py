"""The workflows' rules, read from their text: pinned actions, kept credentials, thin steps, permissions."""

import re

import pytest

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


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
