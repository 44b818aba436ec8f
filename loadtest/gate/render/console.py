"""The summary for a terminal: a short plain-text table, the findings, then the verdict line."""

from __future__ import annotations

from loadtest.bundle import EndpointStats
from loadtest.gate.render.headline import describe, headline
from loadtest.gate.report import GateReport
from loadtest.gate.units import format_ms, format_rps
from loadtest.text.tables import table
from loadtest.text.untrusted import console_text


def render_console(report: GateReport) -> str:
    """A short plain-text table for a terminal: aggregate and endpoints, then the verdict line."""
    rows = [_console_row(report.results.aggregate, "Aggregated")]
    rows += [_console_row(row, console_text(row.name)) for row in report.endpoints_worst_first()]
    text = table(
        rows,
        headers=["Endpoint", "Requests", "Failures", "Req/s", "p50 (ms)", "p95 (ms)", "p99 (ms)"],
        tablefmt="simple",
        colalign=("left", *["right"] * 6),
    )
    lines = [text, ""]
    lines += [
        f"  {finding.level.upper()}: {describe(finding, text=console_text)}" for finding in report.findings
    ]
    counted = report.findings and not report.interrupted
    lines.append(
        f"Verdict: {report.verdict.upper()} ({_counts(report)})"
        if counted
        else headline(report, text=console_text)
    )
    return "\n".join(lines)


def _counts(report: GateReport) -> str:
    failures = sum(finding.level == "fail" for finding in report.findings)
    warnings = len(report.findings) - failures
    return f"{failures} failure{'s' * (failures != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _console_row(row: EndpointStats, name: str) -> list[str]:
    return [
        name,
        f"{row.requests:,}",
        f"{row.failures:,}",
        format_rps(row.rps),
        *(format_ms(row.value(metric)) for metric in ("p50", "p95", "p99")),
    ]
