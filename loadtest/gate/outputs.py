"""The gate's two files: summary.md (the markdown summary) and verdict.json (the machine-readable verdict).

One function writes them, for the runner (into the bundle) and for compare (where it is told), secrets
masked (loadtest.text.masking).
"""

from __future__ import annotations

import json
from pathlib import Path

from loadtest.bundle import write_atomically
from loadtest.gate.render import render_markdown, verdict_json
from loadtest.gate.report import GateReport
from loadtest.settings import know_settings


def write_gate_files(report: GateReport, *, summary: Path | None, verdict: Path | None) -> str:
    """Write each file that is given, atomically, and return the summary's markdown (rendered once).

    OSError (with its filename) if one cannot be written.
    """
    masker = know_settings()
    markdown = masker.mask(render_markdown(report))
    if summary is not None:
        write_atomically(summary, markdown)
    if verdict is not None:
        write_atomically(verdict, masker.mask(json.dumps(verdict_json(report), indent=2)) + "\n")
    return markdown
