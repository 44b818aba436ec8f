"""Publishing a verdict inside GitHub Actions: step summary, annotations, and the ``verdict`` output."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from loadtest.gate.findings import Finding
from loadtest.gate.render import describe

if TYPE_CHECKING:
    from loadtest.gate.report import GateReport

_COMMANDS = {"fail": "error", "warn": "warning"}


def in_github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def publish_to_github_actions(
    report: GateReport, environ: Mapping[str, str] = os.environ, *, stream: TextIO | None = None
) -> None:
    """Append the summary to $GITHUB_STEP_SUMMARY, annotate each finding, set ``verdict`` in $GITHUB_OUTPUT.

    Does nothing outside GitHub Actions. Annotations go to ``stream`` (stdout by default), where the
    runner picks up workflow commands.
    """
    if not in_github_actions(environ):
        return
    stream = stream or sys.stdout
    for finding in report.findings:
        print(annotation(finding), file=stream)
    stream.flush()
    if summary := environ.get("GITHUB_STEP_SUMMARY"):
        _append(Path(summary), report.markdown + "\n")
    if output := environ.get("GITHUB_OUTPUT"):
        _append(Path(output), f"verdict={report.verdict}\n")


def annotation(finding: Finding) -> str:
    """``::error title=GET /api/x/::...`` for a failure, ``::warning`` for a warning."""
    title = finding.scope if finding.scope != "run" else "load test baseline"
    message = f"{describe(finding)}. Rule: {finding.rule}."
    if finding.reason:
        message += f" Why: {finding.reason}"
    return f"::{_COMMANDS[finding.level]} title={escape_property(title)}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """Workflow-command escaping of a message: %, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Workflow-command escaping of a property value: as data, plus : and ,."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(text)
