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
    expected = _duration(preset.run_time_s)
    if preset.run_time_for(with_base=True) != preset.run_time_s:
        expected += f" ({_duration(preset.run_time_for(with_base=True))} with a base)"
    assert row.group(2).strip() == expected


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds % 60 == 0 else f"{seconds:g} s"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = ci.strip().splitlines()[-1]
    assert command in README, "the last line of .ci/run must be the README's test command"


def test_workflow_dispatch_lists_every_preset():
    workflow = (ROOT / ".github" / "workflows" / "loadtest.yml").read_text(encoding="utf-8")
    options = re.search(r"options: \[([^\]]+)\]", workflow).group(1)
    assert sorted(o.strip() for o in options.split(",")) == available()


EXAMPLE_SECTION = "## Use it from the API's repository"
EXAMPLE_WORKFLOWS = ROOT / "examples" / "api-repository" / ".github" / "workflows"
EXAMPLE_FILES = ("load-test.yml", "load-test-comment.yml")
"""The example's workflows, in the order the README shows them."""
EXAMPLE_SECTION_LINES = 40
"""The section stays short enough to read at a glance, the two workflows included."""


def readme_section(readme: str, heading: str) -> str:
    """The README's section under HEADING, up to the next heading of its level. A section that is not
    there fails the test (it is never skipped): the README must show it."""
    start = readme.find(f"\n{heading}\n")
    if start < 0:
        pytest.fail(f"README.md lacks the section {heading!r}")
    section = readme[start + 1 :]
    end = section.find("\n## ")
    return section[: end + 1] if end >= 0 else section


def fenced_yaml(section: str) -> list[str]:
    """The fenced yaml blocks of SECTION, in order, each as the text between its fences."""
    return re.findall(r"^```yaml\n(.*?)^```$", section, re.M | re.S)


def test_the_readme_shows_the_example_workflows_as_they_are():
    # The act rehearsal (tests/e2e/test_action_in_a_caller_act.py) runs these files: the README's
    # copy-paste text is the rehearsed text.
    section = readme_section(README, EXAMPLE_SECTION)

    assert fenced_yaml(section) == [(EXAMPLE_WORKFLOWS / name).read_text() for name in EXAMPLE_FILES]
    assert all(f".github/workflows/{name}" in section for name in EXAMPLE_FILES), "where each file goes"
    assert len(section.rstrip("\n").splitlines()) <= EXAMPLE_SECTION_LINES


def test_a_section_that_is_missing_fails_and_a_different_block_is_seen():
    example = (EXAMPLE_WORKFLOWS / EXAMPLE_FILES[0]).read_text()
    shown = f"# T\n\n{EXAMPLE_SECTION}\nText.\n```yaml\n{example}```\n\n## Next\n```yaml\nx: 1\n```\n"

    assert fenced_yaml(readme_section(shown, EXAMPLE_SECTION)) == [example]
    with pytest.raises(pytest.fail.Exception, match="lacks the section"):
        readme_section(shown.replace(EXAMPLE_SECTION, "## Another heading"), EXAMPLE_SECTION)


def test_the_example_pins_the_newest_release_and_the_package_is_that_version():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    newest = re.search(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d\d-\d\d$", changelog, re.MULTILINE).group(1)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")

    assert re.search(r'^version = "(.*)"$', pyproject, re.MULTILINE).group(1) == newest
    for name in EXAMPLE_FILES:
        pins = re.findall(
            r"uses: amal-education/loadtest@[0-9a-f]{40} # (v\S+)", (EXAMPLE_WORKFLOWS / name).read_text()
        )
        assert pins == [f"v{newest}"], name


def _unreleased(changelog: str) -> str:
    """The CHANGELOG's [Unreleased] section: what it names is in the repository as it is now."""
    return changelog.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0]


def _named_as_gone(text: str, found: re.Match) -> bool:
    """Named as removed: ``(PATH, last in COMMIT`` or ``git show COMMIT:PATH`` in the same text."""
    shown = re.search(rf"git show [0-9a-f]{{7,40}}:{re.escape(found.group(1))}", text)
    return bool(shown) or text[found.end() : found.end() + 10].startswith(", last in")


def test_the_docs_and_the_unreleased_changes_name_only_files_that_exist():
    """A reader runs what they name: a script or module that moved (scripts/calibrate.py is
    ``python -m tools calibrate``) must not be named at its old path. Paths in a caller's repository
    (its thresholds file) and a removed file named with the commit it was last in are not ours."""
    texts = {name: (ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "tests/README.md")}
    texts |= {f"docs/{page.name}": page.read_text(encoding="utf-8") for page in (ROOT / "docs").glob("*.md")}
    texts["CHANGELOG.md [Unreleased]"] = _unreleased((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    path = re.compile(r"`((?:loadtest|tools|scripts|tests|examples)/[\w./-]+\.(?:py|yml|md|txt|toml))`")
    missing = {
        (name, found.group(1))
        for name, text in texts.items()
        for found in path.finditer(text)
        if not (ROOT / found.group(1)).exists()
        and found.group(1) != "loadtest/thresholds.json"
        and not _named_as_gone(text, found)
    }
    assert not missing, sorted(missing)
