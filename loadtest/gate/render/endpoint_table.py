"""The summary's per-endpoint table: every endpoint, flagged rows first, each latency with the band
or the baseline it was judged against; folded."""

from __future__ import annotations

from loadtest.bundle import AGGREGATE, EndpointStats
from loadtest.gate.render import charts
from loadtest.gate.render.markdown_table import MARKS, compact_table, details
from loadtest.gate.report import GateReport
from loadtest.gate.series import JudgedBand, metric_value
from loadtest.gate.stats import TYPICAL
from loadtest.gate.tails import judgeable
from loadtest.gate.units import (
    METRIC_LABELS,
    format_ms,
    format_ms_apart,
    format_p_value,
    format_percent,
    format_relative,
)
from loadtest.text.untrusted import markdown_text

COLUMN_LABELS = {**METRIC_LABELS, TYPICAL: "typical"}
"""A per-endpoint table's column header."""
BAND_HEADER = "typical ms (band; p)"
"""The per-endpoint table's column of a metric judged against a band: value, band and p-value."""
PERCENTILE_COLUMNS = ("p50", "p95", "p99")
_COLUMN_OF = {"failures": "failure_ratio", "min_rps": "rps", "min_requests": "requests"}


def endpoint_table(report: GateReport, limit: int | None) -> str:
    """Every endpoint, flagged rows first and marked, then the aggregate; folded. Without any failure
    in the run the failures column is left out and the summary says so."""
    rows = report.endpoints_worst_first()
    if not rows:
        return ""
    if limit == 0:
        return f"_The per-endpoint table ({len(rows)} rows) is left out to fit a GitHub comment._"
    shown = rows if limit is None else rows[:limit]
    metrics = _latency_columns(report)
    spark_metric = TYPICAL if TYPICAL in metrics else "p95"
    lines = charts.sparklines(report, [row.name for row in shown] + [AGGREGATE], spark_metric)
    failures = report.results.aggregate.failures > 0 or any(row.failures for row in rows)
    headers = [
        "Endpoint",
        "Requests",
        *(["Failures"] * failures),
        *(BAND_HEADER if m in _judged_metrics(report) else f"{COLUMN_LABELS[m]} (ms)" for m in metrics),
    ]
    if lines:
        headers.append(f"{COLUMN_LABELS[spark_metric]} trend")
    grid = []
    for row in [*shown, report.results.aggregate]:
        cells = [_name_cell(report, row), f"{row.requests:,}", *([_failures_cell(report, row)] * failures)]
        cells += [_latency_cell(report, row, metric) for metric in metrics]
        if lines:
            cells.append(lines.get(row.name, ""))
        grid.append(cells)
    body = compact_table(headers, grid)
    if len(shown) < len(rows):
        body += f"\n\n_…{len(rows) - len(shown)} more endpoints left out to fit a GitHub comment._"
    flagged = sum(bool(report.findings_for(row.name)) for row in rows)
    facts = [str(len(rows))]
    if flagged:
        facts.append(f"{flagged} flagged first")
    if not failures:
        facts.append("no failures")
    return details(f"Per endpoint ({', '.join(facts)}; {_against(report)})", body)


def _latency_columns(report: GateReport) -> tuple[str, ...]:
    judged_typical = report.trend is not None and any(TYPICAL in row for row in report.trend.bands.values())
    # Against a band p99 is not judged, and the comment's budget has no room for it: trend.html has it.
    return (TYPICAL, "p95") if judged_typical else PERCENTILE_COLUMNS


def _against(report: GateReport) -> str:
    if report.trend is not None and report.trend.bands:
        return "the band and p-value where judged"
    if report.baseline_status == "compared":
        return "change against the baseline run"
    return "no comparison"


def _latency_cell(report: GateReport, row: EndpointStats, metric: str) -> str:
    """``74 (47–57; p 0.0004)`` where a band judged it, ``74 +44%`` where one baseline run did,
    ``140 not judged: p99 from 60 requests`` where it would have been but had too few requests, the
    bare value where it is not judged at all."""
    value = metric_value(row, metric)
    text = format_ms(value)
    band = report.trend.band(row.name, metric) if report.trend else None
    reference = _reference(report, row, metric)
    if band is not None and band.current is not None:
        text = band_cell(band)
    elif reference == "unjudged" and value is not None:
        few = metric in PERCENTILE_COLUMNS and not judgeable(row, metric)
        text += (
            f" <sub>not judged: {metric} from {row.requests:,} requests</sub>"
            if few
            else " <sub>not judged</sub>"
        )
    elif isinstance(reference, float) and value is not None:
        text += f" {format_relative(value, reference)}"
    level = _worst_level(report, row.name, metric)
    return f"{text} {MARKS[level]}" if level else text


def _reference(report: GateReport, row: EndpointStats, metric: str) -> float | str | None:
    """What a cell was judged against: a number, ``unjudged`` (too few requests or no band), or None
    when this metric is not judged for regression at all."""
    trend = report.trend
    if trend is not None and trend.bands:
        band = trend.band(row.name, metric)
        if band is not None:
            return float(band.center)
        return "unjudged" if metric in _judged_metrics(report) else None
    if report.baseline_status != "compared" or report.baseline is None or metric not in PERCENTILE_COLUMNS:
        return None
    then = report.baseline.endpoints.get(row.name) if row.name != AGGREGATE else report.baseline.aggregate
    if then is None or then.value(metric) is None:
        return None
    if not (judgeable(row, metric) and judgeable(then, metric)):
        return "unjudged"
    return float(then.value(metric))


def _judged_metrics(report: GateReport) -> set[str]:
    """The metrics a band judged, in any row."""
    bands = report.trend.bands if report.trend else {}
    return {metric for row in bands.values() for metric in row}


def _failures_cell(report: GateReport, row: EndpointStats) -> str:
    text = "0" if not row.failures else f"{format_percent(row.failure_ratio)} ({row.failures:,})"
    level = _worst_level(report, row.name, "failure_ratio")
    return f"{text} {MARKS[level]}" if level else text


def _name_cell(report: GateReport, row: EndpointStats) -> str:
    # Plain text, not a code span: a monospace name is the widest cell, and at 860 px the rows wrap.
    name = "aggregate" if row.name == AGGREGATE else markdown_text(row.name)
    level = _worst_level(report, row.name, None)
    return f"{MARKS[level]} {name}" if level else name


def _worst_level(report: GateReport, scope: str, metric: str | None) -> str | None:
    levels = {
        f.level
        for f in report.findings_for(scope)
        if metric is None or _COLUMN_OF.get(f.metric, f.metric) == metric
    }
    return "fail" if "fail" in levels else "warn" if "warn" in levels else None


def band_cell(band: JudgedBand | None) -> str:
    """``61.2 (49.0–57.0; p 0.0004)``: the typical time, the band it was judged against (its edges at
    the level shown) and its p-value, for every judged row, flagged or not; ``-`` for a row not
    judged against a band."""
    if band is None or band.current is None:
        return "-"
    current, high, low = format_ms_apart(band.current, band.high, band.low)
    p_value = "" if band.p_value is None else f"; {format_p_value(band.p_value)}"
    return f"{current} ({low}–{high}{p_value})"
