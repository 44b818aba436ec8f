"""The gate's two files: summary.md (the markdown summary) and verdict.json (the machine-readable verdict).

One function writes them, for the runner (into the bundle) and for compare (where it is told).
"""

from __future__ import annotations

from pathlib import Path

from loadtest.bundle import write_atomically, write_json
from loadtest.gate.render import render_markdown, verdict_json
from loadtest.gate.report import GateReport


def write_gate_files(report: GateReport, *, summary: Path | None, verdict: Path | None) -> str:
    """Write each file that is given, atomically, and return the summary's markdown (rendered once).

    OSError (with its filename) if one cannot be written.
    """
    markdown = render_markdown(report)
    if summary is not None:
        write_atomically(summary, markdown)
    if verdict is not None:
        write_json(verdict, verdict_json(report))
    return markdown
