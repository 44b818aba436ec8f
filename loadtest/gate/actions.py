"""Publishing a verdict inside GitHub Actions: step summary, annotations, and the ``verdict`` output."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TextIO

from loadtest.gate.findings import RUN, Finding
from loadtest.gate.render import describe
from loadtest.gate.report import GateReport
from loadtest.github.actions import append_step_summary, in_actions, workflow_command, write_outputs

_COMMANDS = {"fail": "error", "warn": "warning"}


def publish_to_github_actions(
    report: GateReport,
    markdown: str,
    environ: Mapping[str, str] = os.environ,
    *,
    stream: TextIO | None = None,
) -> None:
    """Append the summary to $GITHUB_STEP_SUMMARY, annotate each finding, set ``verdict`` in $GITHUB_OUTPUT.

    Does nothing outside GitHub Actions. Annotations go to ``stream`` (stdout by default), where the
    runner picks up workflow commands.
    """
    if not in_actions(environ):
        return
    stream = stream or sys.stdout
    for finding in report.findings:
        print(annotation(finding), file=stream)
    stream.flush()
    append_step_summary(markdown + "\n", environ=environ)
    write_outputs({"verdict": report.verdict}, environ=environ)


def annotation(finding: Finding) -> str:
    """``::error title=GET /api/x/::...`` for a failure, ``::warning`` for a warning."""
    title = finding.scope if finding.scope != RUN else f"load test {finding.kind}"
    message = f"{describe(finding)}. Rule: {finding.rule}."
    if finding.reason:
        message += f" Why: {finding.reason}"
    return workflow_command(_COMMANDS[finding.level], message, title=title)
