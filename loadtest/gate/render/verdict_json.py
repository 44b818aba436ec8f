"""The verdict for machines: verdict.json, written next to the summary in the results bundle."""

from __future__ import annotations

from typing import Any

from loadtest.bundle import EndpointStats, Results
from loadtest.gate.findings import Finding
from loadtest.gate.render.headline import headline
from loadtest.gate.report import GateReport

REPORT_SCHEMA = 1
"""Version of the verdict.json layout."""


def verdict_json(report: GateReport) -> dict[str, Any]:
    """The machine-readable verdict (verdict.json): the summary's facts as numbers and names."""
    facts = report.results.facts
    return {
        "schema": REPORT_SCHEMA,
        "verdict": report.verdict,
        "exit_code": report.exit_code,
        "headline": headline(report),
        "preset": report.preset,
        "target": report.target,
        "git_commit": facts.git_commit if facts else None,
        "results": str(report.results.source),
        "baseline": str(report.baseline.source) if report.baseline else None,
        "baseline_git_commit": _commit(report.baseline),
        "baseline_status": report.baseline_status,
        "history_runs": report.history_runs,
        "thresholds": str(report.thresholds),
        "percentiles_from": report.results.percentiles_from,
        "findings": [_finding_json(finding) for finding in report.findings],
        "notes": list(report.notes),
        "aggregate": _row_json(report.results.aggregate),
        "endpoints": {name: _row_json(row) for name, row in report.results.endpoints.items()},
        "bands": _bands_json(report),
    }


def _bands_json(report: GateReport) -> dict[str, dict[str, dict[str, Any]]]:
    """Every judged row's metrics against their history's band, flagged or not: row, then metric
    (``typical`` in ms, ``rps``), then this run's value, the band's centre and edges at ``level``,
    the runs it rests on and the one-sided p-value."""
    if report.trend is None:
        return {}
    return {
        row: {
            metric: {
                "current": band.current,
                "center": band.center,
                "low": band.low,
                "high": band.high,
                "level": band.level,
                "runs": band.runs,
                "p_value": band.p_value,
            }
            for metric, band in metrics.items()
        }
        for row, metrics in report.trend.bands.items()
    }


def _commit(results: Results | None) -> str | None:
    return results.facts.git_commit if results and results.facts else None


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {key: value for key, value in finding.__dict__.items() if value not in (None, "")}


def _row_json(row: EndpointStats) -> dict[str, Any]:
    return {
        "requests": row.requests,
        "failures": row.failures,
        "failure_ratio": row.failure_ratio,
        "rps": row.rps,
        **row.latency,
    }
