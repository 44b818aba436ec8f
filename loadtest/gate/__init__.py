"""The gate: a run's results against thresholds.json and a baseline, with a verdict and a summary.

    report = run_gate(Path("results/smoke-20261125T113400Z"), baseline=Path("baseline"))
    markdown = write_gate_files(report, summary=Path("summary.md"), verdict=Path("verdict.json"))
    print(render_console(report))   # a short table for a terminal
    publish_to_github_actions(report, markdown)   # step summary, annotations, outputs
    sys.exit(report.exit_code)      # 0 pass or warn, 1 fail

Modules, one concern each: thresholds (load and resolve thresholds.json), rules (absolute
limits), regression (against the baseline), noise (against a baseline history; the band's
statistics are history_band's), paired (a head against its base in the same run), findings and
regression_findings (what each broken rule says), report (run_gate and the plain GateReport),
render (pure functions of a report: headline, markdown, console, verdict.json), outputs (the
summary.md and verdict.json files), actions (GitHub Actions). Reading results is loadtest.bundle's
job; the summary's marker and length limit are loadtest.text.summary_limits'.
"""

from loadtest.gate.actions import publish_to_github_actions
from loadtest.gate.errors import GateInputError
from loadtest.gate.findings import Finding
from loadtest.gate.outputs import write_gate_files
from loadtest.gate.regression import RegressionDecision, tolerance_decision
from loadtest.gate.render import headline, render_console, render_markdown, verdict_json
from loadtest.gate.report import GateReport, run_gate
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS
from loadtest.text.summary_limits import MAX_SUMMARY_CHARS, SUMMARY_MARKER

__all__ = [
    "DEFAULT_THRESHOLDS",
    "MAX_SUMMARY_CHARS",
    "SUMMARY_MARKER",
    "Finding",
    "GateInputError",
    "GateReport",
    "RegressionDecision",
    "headline",
    "publish_to_github_actions",
    "render_console",
    "render_markdown",
    "run_gate",
    "tolerance_decision",
    "verdict_json",
    "write_gate_files",
]
