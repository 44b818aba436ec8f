"""The README describes what the code does: presets, the test command CI runs, the workflow's choices."""

import re

import pytest

from loadtest.presets import available, load_preset
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", available())
def test_presets_table_matches_the_preset_files(name):
    preset = load_preset(name)
    row = re.search(rf"^\| `{name}` \| ([^|]+) \| ([^|]+) \|", README, re.MULTILINE)
    assert row, f"README's presets table lacks {name}"
    assert row.group(1).strip().split(" ")[0] == str(preset.users)
    minutes = preset.run_time_s / 60
    expected = f"{minutes:g} min" if minutes == int(minutes) else f"{preset.run_time_s:g} s"
    assert row.group(2).strip() == expected


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert command in README, "the last line of .ci/run must be the README's test command"


def test_workflow_dispatch_lists_every_preset():
    workflow = (ROOT / ".github" / "workflows" / "loadtest.yml").read_text(encoding="utf-8")
    options = re.search(r"options: \[([^\]]+)\]", workflow).group(1)
    assert sorted(o.strip() for o in options.split(",")) == available()
