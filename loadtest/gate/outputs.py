"""The gate's two files: summary.md (the markdown summary) and verdict.json (the machine-readable verdict).

One function writes them, for the runner (into the bundle) and for compare (where it is told).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from loadtest.bundle import write_atomically, write_json

if TYPE_CHECKING:
    from loadtest.gate.report import GateReport


def write_outputs(report: GateReport, *, summary: Path | None, verdict: Path | None) -> None:
    """Write each file that is given, atomically; OSError (with its filename) if one cannot be written."""
    if summary is not None:
        write_atomically(summary, report.markdown)
    if verdict is not None:
        write_json(verdict, report.to_json())
