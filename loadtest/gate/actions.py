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
from loadtest.settings import know_settings
from loadtest.text.untrusted import SENTENCE_LIMIT, console_text

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
    masker = know_settings(environ)
    for finding in report.findings:
        print(masker.mask(annotation(finding)), file=stream)
    stream.flush()
    append_step_summary(markdown + "\n", environ=environ)
    write_outputs({"verdict": report.verdict}, environ=environ)


def annotation(finding: Finding) -> str:
    """``::error title=GET /api/x/::...`` for a failure, ``::warning`` for a warning.

    The endpoint, what was observed and the reason are the PR's to write: shown through console_text.
    """
    title = console_text(finding.scope) if finding.scope != RUN else f"load test {finding.kind}"
    message = (
        f"{describe(finding, text=console_text)}. Rule: {console_text(finding.rule, limit=SENTENCE_LIMIT)}."
    )
    if finding.reason:
        message += f" Why: {console_text(finding.reason, limit=SENTENCE_LIMIT)}"
    return workflow_command(_COMMANDS[finding.level], message, title=title)
