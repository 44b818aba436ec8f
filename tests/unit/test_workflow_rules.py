"""The workflows' and the action's rules, read from their text: pinned actions, kept credentials, thin
steps, permissions, secrets only where they are used."""

import re

import pytest

from tests.conftest import ROOT

OWN_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXAMPLE_WORKFLOWS = sorted((ROOT / "examples").glob("*/.github/workflows/*.yml"))
WORKFLOWS = [*OWN_WORKFLOWS, *EXAMPLE_WORKFLOWS]
ACTION = ROOT / "action.yml"
STEP_FILES = [*WORKFLOWS, ACTION]
SECRET_INPUTS = ("api-key", "email", "password", "token")


def name_of(path):
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("workflow", STEP_FILES, ids=name_of)
def test_every_action_is_pinned_to_a_commit_with_its_version(workflow):
    # `uses: ./` is this repository's own action at the commit under test (its workflows only).
    local = r"\./ #" if workflow in OWN_WORKFLOWS else r"(?!)"
    for line in workflow.read_text().splitlines():
        if re.match(r"\s*(- )?uses:", line):
            assert re.search(rf"uses: (?:{local}|[\w./-]+@[0-9a-f]{{40}} # v\d)", line), (
                f"{name_of(workflow)}: {line}"
            )


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=name_of)
def test_checkouts_keep_no_credentials(workflow):
    text = workflow.read_text()
    checkouts = text.count("uses: actions/checkout@")
    assert checkouts == text.count("persist-credentials: false")


@pytest.mark.parametrize("workflow", STEP_FILES, ids=name_of)
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


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=name_of)
def test_permissions_are_empty_at_the_top_and_every_job_has_a_time_limit(workflow):
    text = workflow.read_text()
    assert "\npermissions: {}\n" in text
    jobs = re.findall(r"^  [\w-]+:\n(?:    .*\n|\n)+", text.split("\njobs:\n", 1)[1], re.MULTILINE)
    assert jobs
    for job in jobs:
        assert "    permissions:" in job and "    timeout-minutes:" in job, job.splitlines()[0]


def _steps(text: str) -> list[str]:
    """The action's steps, each as its text."""
    steps = text.split("\n  steps:\n", 1)[1]
    return re.split(r"\n(?=    - )", steps)


def test_the_action_gives_its_secrets_to_the_run_step_alone():
    steps = _steps(ACTION.read_text(encoding="utf-8"))
    using = {
        secret: [step.split("\n", 1)[0] for step in steps if f"inputs.{secret} }}}}" in step]
        for secret in SECRET_INPUTS
    }

    assert using == {secret: ["    - name: Run the load test"] for secret in SECRET_INPUTS}
    assert all(
        f"${{{{ inputs.{secret} }}}}" not in step.split("env:", 1)[0]
        for step in steps
        for secret in SECRET_INPUTS
    )
