"""The summary as markdown, for the PR comment and the step summary.

The answer first, so a reviewer reads it in ten seconds: a hidden marker (so the comment step finds
its own comment), one headline line (loadtest.gate.render.headline), at most three lines of context
(what ran, what it was compared with, further failures), the findings as a short table, and the
charts when the run failed. Then the depth: the per-endpoint table folded, the notes (each rule and
its reason once, by footnote mark), failure messages folded. It always fits GitHub's comment
limit: when it would not, the least important rows go first and a note says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from loadtest.bundle import AGGREGATE, Results
from loadtest.gate.findings import RUN, Finding
from loadtest.gate.render import charts
from loadtest.gate.render.context import base_table, context
from loadtest.gate.render.endpoint_table import endpoint_table
from loadtest.gate.render.headline import comparison_of, headline
from loadtest.gate.render.markdown_table import MARKS, compact_table, details
from loadtest.gate.report import GateReport
from loadtest.gate.stats import TYPICAL
from loadtest.gate.units import (
    METRIC_LABELS,
    format_ms_apart,
    format_points,
    format_relative,
    format_value,
)
from loadtest.text.summary_limits import MAX_SUMMARY_CHARS, SUMMARY_MARKER, fit_comment
from loadtest.text.untrusted import SENTENCE_LIMIT, code_span, markdown_text

TOP_FAILURE_MESSAGES = 10
MAX_ERROR_CHARS = 200

VERDICT_MARKS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "incomplete": "⏹️"}
SHORT_LABELS = {**METRIC_LABELS, TYPICAL: "typical time"}
"""What moved, in a table cell."""
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
NO_VALUE = "–"
_TOLERANCE_WORDS = {"slower by over ": "+", "higher by over ": "+", "lower by over ": "−"}
"""A fixed tolerance's words as a limit cell: ``p95 slower by over 30% and 10 ms`` is
``+30% and 10 ms``, the change it may not exceed."""


@dataclass(frozen=True)
class _Budget:
    """How many rows of each long part to show; None shows all."""

    endpoints: int | None = None
    violations: int | None = None
    notes: int | None = None
    failures: int = TOP_FAILURE_MESSAGES
    charts: int = charts.MAX_CHARTS


def render_markdown(report: GateReport, *, max_chars: int = MAX_SUMMARY_CHARS) -> str:
    """The summary within ``max_chars``: trimming drops failure messages, then the best endpoints,
    then charts, then notes, then the last findings."""
    text = _compose(report, _Budget())
    for budget in _smaller_budgets(report):
        if len(text) <= max_chars:
            return text
        text = _compose(report, budget)
    # Even the smallest budget can overflow (an endpoint name in the headline is the PR's to choose).
    return fit_comment(text, limit=max_chars, target=max_chars)


def _smaller_budgets(report: GateReport):
    budget = _Budget(failures=0)
    yield budget
    for field_name, size in (
        ("endpoints", len(report.results.endpoints)),
        ("charts", len(charts.charts_for(report))),
        ("notes", len(report.notes)),
        ("violations", len(report.findings)),
    ):
        floor = 1 if field_name == "violations" else 0
        while size > floor:
            size = max(floor, size // 2)
            budget = replace(budget, **{field_name: size})
            yield budget


def _compose(report: GateReport, budget: _Budget) -> str:
    marks = footnote_marks(report.findings)
    parts = [
        SUMMARY_MARKER,
        f"#### {VERDICT_MARKS[report.verdict]} {headline(report, text=markdown_text)}",
        context(report),
        _findings(report, budget.violations, marks),
        base_table(report),
        charts.trend_section(report, budget.charts),
        endpoint_table(report, budget.endpoints),
        _notes(report, budget.notes, marks),
        _failure_messages(report.results, budget.failures),
        _trim_note(report, budget),
        _footer(report),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


# --- the findings --------------------------------------------------------------------


def footnote_marks(findings: Sequence[Finding]) -> dict[str, str]:
    """``¹``, ``²``...: one mark per distinct rule, in the order the findings first name it."""
    marks: dict[str, str] = {}
    for finding in findings:
        if finding.rule not in marks:
            marks[finding.rule] = str(len(marks) + 1).translate(SUPERSCRIPTS)
    return marks


def _findings(report: GateReport, limit: int | None, marks: dict[str, str]) -> str:
    if not report.findings:
        return ""
    shown = report.findings if limit is None else report.findings[:limit]
    headers = ["", "Endpoint", "What moved", "Now", _usual_header(report.findings), "Change", "Limit"]
    rows = [[MARKS[f.level], _where(f), *_finding_cells(f, marks[f.rule])] for f in shown]
    text = compact_table(headers, rows)
    if len(shown) < len(report.findings):
        text += f"\n\n_…{len(report.findings) - len(shown)} more left out to fit a GitHub comment._"
    return text


def _usual_header(findings: Sequence[Finding]) -> str:
    columns = dict.fromkeys(c.column for f in findings if (c := comparison_of(f)) is not None)
    return " / ".join(columns) or "Usual"


def _finding_cells(finding: Finding, mark: str) -> list[str]:
    """What moved, now, usual, change, limit: numbers where the finding has them, else its words."""
    metric = finding.metric or ""
    what = f"{markdown_text(SHORT_LABELS.get(metric, metric or finding.kind))}{mark}"
    if finding.value is None or not metric:
        return [what, markdown_text(finding.observed, limit=SENTENCE_LIMIT), NO_VALUE, NO_VALUE, NO_VALUE]
    now = format_value(metric, finding.value)
    if finding.kind == "limit" and finding.observed != now:  # judged by its interval: say so
        now = markdown_text(finding.observed, limit=SENTENCE_LIMIT)
    usual = format_value(metric, finding.baseline) if finding.baseline is not None else NO_VALUE
    change = _change(metric, finding.value, finding.baseline)
    limit = _limit_cell(finding)
    if _against_band(finding) and finding.limit is not None:
        # As many digits as it takes for a value beyond the edge to read beyond it (147.4, 146.9).
        now, edge = format_ms_apart(finding.value, finding.limit)
        now, limit = f"{now} ms", f"≤ {edge} ms (band)"
    return [what, now, usual, change, limit]


def _against_band(finding: Finding) -> bool:
    return finding.source.startswith("regression.history") and finding.metric != "rps"


def _change(metric: str, now: float, usual: float | None) -> str:
    if usual is None:
        return NO_VALUE
    return format_points(now, usual) if metric == "failure_ratio" else format_relative(now, usual)


def _limit_cell(finding: Finding) -> str:
    """``≤ 500 ms``, ``≤ 57 ms (band)``; for a fixed tolerance its words (``+30% and 10 ms``)."""
    metric = finding.metric or ""
    if finding.kind == "limit" and finding.limit is not None and finding.value is not None:
        side = "≥" if finding.value < finding.limit else "≤"
        return f"{side} {format_value(metric, finding.limit)}"
    if finding.source.startswith("regression.history") and finding.limit is not None:  # rps: its floor
        side = "≥" if metric == "rps" else "≤"
        return f"{side} {format_value(metric, finding.limit)} (band)"
    rule = finding.rule.removeprefix(f"{METRIC_LABELS.get(metric, metric)} ")
    for words, sign in _TOLERANCE_WORDS.items():
        rule = rule.replace(words, sign)
    return markdown_text(rule, limit=SENTENCE_LIMIT)


def _where(finding: Finding) -> str:
    if finding.scope == RUN:
        return "run"
    if finding.scope == AGGREGATE:
        return "aggregate"
    return code_span(finding.scope)


# --- the notes -------------------------------------------------------------------------


def _notes(report: GateReport, limit: int | None, marks: dict[str, str]) -> str:
    """Each rule once by its mark, each reason once after its rules, then the gate's notes."""
    lines = [f"- {line}" for line in _rule_notes(report.findings, marks)]
    shown = report.notes if limit is None else report.notes[:limit]
    lines += [f"- {note}" for note in shown]
    if len(shown) < len(report.notes):
        lines.append(f"- _…{len(report.notes) - len(shown)} more notes left out to fit a GitHub comment._")
    return "#### Notes\n\n" + "\n".join(lines) if lines else ""


def _rule_notes(findings: Sequence[Finding], marks: dict[str, str]) -> list[str]:
    """``¹ p95 ≤ 500 ms; ² p99 ≤ 900 ms. Why: Run-wide budget.``: rules grouped by their reason."""
    by_reason: dict[str, dict[str, None]] = {}
    for finding in findings:
        by_reason.setdefault(finding.reason, {})[finding.rule] = None
    lines = []
    for reason, rules in by_reason.items():
        said = "; ".join(f"{marks[rule]} {markdown_text(rule, limit=SENTENCE_LIMIT)}" for rule in rules)
        why = f" Why: {markdown_text(reason, limit=SENTENCE_LIMIT)}" if reason else ""
        lines.append(f"{said}.{why}")
    return lines


# --- the rest ----------------------------------------------------------------------------


def _failure_messages(results: Results, limit: int) -> str:
    if not results.failures or limit == 0:
        return ""
    shown = results.failures[:limit]
    rows = [
        [code_span(m.name), markdown_text(m.error, limit=MAX_ERROR_CHARS), f"{m.occurrences:,}"]
        for m in shown
    ]
    body = compact_table(["Endpoint", "Error", "Occurrences"], rows)
    total = len(results.failures)
    label = (
        f"Most frequent failure messages ({len(shown)} of {total})"
        if total > len(shown)
        else (f"Failure messages ({total})")
    )
    return details(label, body)


def _trim_note(report: GateReport, budget: _Budget) -> str:
    left_out = []
    if budget.failures < min(TOP_FAILURE_MESSAGES, len(report.results.failures)):
        left_out.append("failure messages")
    drawn = len(charts.charts_for(report))
    if budget.charts < drawn:
        left_out.append(f"{drawn - budget.charts} of {drawn} charts")
    for name, limit, total in (
        ("endpoint rows", budget.endpoints, len(report.results.endpoints)),
        ("notes", budget.notes, len(report.notes)),
        ("findings", budget.violations, len(report.findings)),
    ):
        if limit is not None and limit < total:
            left_out.append(f"{total - limit} of {total} {name}")
    if not left_out:
        return ""
    return (
        f"> **Trimmed** to stay under GitHub's comment limit: left out {', '.join(left_out)}. "
        "The full verdict is in verdict.json in the results bundle."
    )


def _footer(report: GateReport) -> str:
    source = {"histograms": "Locust's histograms", "csv": "the stats CSV"}[report.results.percentiles_from]
    return f"<sub>Limits from {code_span(report.thresholds.name)} · percentiles from {source}.</sub>"
