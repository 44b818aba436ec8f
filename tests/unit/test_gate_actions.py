"""Publishing inside GitHub Actions: step summary, annotations, outputs; nothing outside it."""

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest.gate import publish_to_github_actions, render_markdown, run_gate
from loadtest.github.actions import escape_data, escape_property
from tests.conftest import GATE_FIXTURES


@pytest.fixture
def warning_report():
    return run_gate(
        GATE_FIXTURES / "warn",
        baseline=GATE_FIXTURES / "baseline",
        thresholds_path=GATE_FIXTURES / "thresholds.json",
        now=datetime(2026, 11, 25, 11, 34, tzinfo=UTC),
    )


def actions_env(tmp_path: Path) -> dict[str, str]:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier step\n")
    output.write_text("other=1\n")
    return {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}


def test_inside_actions_the_summary_annotations_and_verdict_are_published(tmp_path, warning_report):
    env = actions_env(tmp_path)
    stream = io.StringIO()

    publish_to_github_actions(warning_report, render_markdown(warning_report), env, stream=stream)

    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary == "earlier step\n" + render_markdown(warning_report) + "\n"
    assert Path(env["GITHUB_OUTPUT"]).read_text() == "other=1\nverdict=warn\n"
    # The title escapes ":" and ","; the message escapes "%" (as %25) but keeps ":".
    assert stream.getvalue() == (
        "::warning title=GET /api/dashboard/v2/search/::"
        "GET /api/dashboard/v2/search/: p95 100 ms → 118 ms (+18%25, +18 ms). "
        "Rule: p95 slower by over 15%25 and 5 ms. Why: Latency tolerance.\n"
    )


@pytest.mark.parametrize("value", [None, "false", "1", "TRUE"])
def test_outside_actions_nothing_is_written(tmp_path, warning_report, value):
    env = actions_env(tmp_path)
    if value is None:
        del env["GITHUB_ACTIONS"]
    else:
        env["GITHUB_ACTIONS"] = value
    stream = io.StringIO()

    publish_to_github_actions(warning_report, render_markdown(warning_report), env, stream=stream)

    assert stream.getvalue() == ""
    assert Path(env["GITHUB_OUTPUT"]).read_text() == "other=1\n"


@pytest.mark.parametrize(
    ("text", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50% of\r\nruns", "50%25 of%0D%0Aruns", "50%25 of%0D%0Aruns"),
        ("GET /a: b, c", "GET /a: b, c", "GET /a%3A b%2C c"),
        ("%0A", "%250A", "%250A"),
    ],
)
def test_workflow_command_escaping(text, data, prop):
    assert (escape_data(text), escape_property(text)) == (data, prop)


def test_a_step_summary_that_cannot_be_written_is_one_warning_and_the_rest_is_published(
    warning_report, tmp_path, capsys
):
    """The job summary is a view: a missing or unwritable $GITHUB_STEP_SUMMARY costs it, not the
    verdict output or the annotations (it was a traceback that failed the step)."""
    env = {**actions_env(tmp_path), "GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "summary.md")}
    stream = io.StringIO()

    publish_to_github_actions(warning_report, render_markdown(warning_report), environ=env, stream=stream)

    assert stream.getvalue().startswith("::warning")
    assert (tmp_path / "output").read_text() == "other=1\nverdict=warn\n"
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("warning: cannot append to the step summary ") and "missing" in line
