"""The summary as markdown, for the PR comment and the step summary.

The markdown is a PR comment first: a hidden marker so the comment step finds its own comment,
a one-line verdict, the run facts, the aggregate, the violations with their reasons, then the
long parts (every endpoint, failure messages) folded in <details>. It always fits GitHub's
comment limit: when it would not, the least important rows go first and a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from loadtest.bundle import AGGREGATE, EndpointStats, Results, RunFacts
from loadtest.config import is_loopback
from loadtest.gate.findings import RUN, Finding
from loadtest.gate.render import charts
from loadtest.gate.render.headline import headline
from loadtest.gate.report import GateReport
from loadtest.gate.series import JudgedBand
from loadtest.gate.stats import TYPICAL
from loadtest.gate.units import (
    format_age,
    format_change,
    format_duration,
    format_ms,
    format_ms_apart,
    format_p_value,
    format_percent,
    format_rps,
    format_signed_pct,
)
from loadtest.summary_limits import MAX_SUMMARY_CHARS, SUMMARY_MARKER, fit_comment
from loadtest.tables import table
from loadtest.untrusted import SENTENCE_LIMIT, code_span, markdown_text

TOP_FAILURE_MESSAGES = 10
MAX_ERROR_CHARS = 200

MARKS = {"fail": "❌", "warn": "⚠️"}
VERDICT_MARKS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "incomplete": "⏹️"}
TABLE_METRICS = ("requests", "failure_ratio", "rps", "p50", "p95", "p99")
HEADERS = ("Requests", "Failures", "Req/s", "p50 (ms)", "p95 (ms)", "p99 (ms)")
TREND_HEADER = "p95 trend"
BAND_HEADER = "typical ms (band; p)"
"""The per-endpoint table's sparkline column, shown when the run was compared with a history."""
_COLUMN_OF = {"failures": "failure_ratio", "min_rps": "rps", "min_requests": "requests"}


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
    then charts, then notes, then the last violations."""
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
    parts = [
        SUMMARY_MARKER,
        f"## {VERDICT_MARKS[report.verdict]} Load test {headline(report, text=markdown_text)}",
        _facts(report),
        _base_table(report),
        "### Aggregate\n\n" + _aggregate_table(report),
        _violations(report, budget.violations),
        charts.trend_section(report, budget.charts),
        _notes(report, budget.notes),
        _endpoint_table(report, budget.endpoints),
        _failure_messages(report.results, budget.failures),
        _trim_note(report, budget),
        _footer(report),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _facts(report: GateReport) -> str:
    if report.base is not None:
        return f"**Run:** {_run_line(report.results, report.preset)}  \n**Base:** {_base_line(report)}"
    return f"**Run:** {_run_line(report.results, report.preset)}  \n**Baseline:** {_baseline_line(report)}"


def _base_line(report: GateReport) -> str:
    facts = report.results.facts
    commit = facts.base_git_commit if facts else None
    named = f"commit {code_span(commit[:7])}" if commit else "commit unknown"
    assert report.base is not None
    return f"{named}, measured on the same runner in the same run ({report.base.design} design)"


def _base_table(report: GateReport) -> str:
    """Base, head and the change per endpoint, worst change first: the paired verdict's numbers."""
    if report.base is None or not report.base.changes:
        return ""
    marks = {"fail": " ❌", "warn": " ⚠️"}
    rows = []
    for change in sorted(report.base.changes, key=lambda c: -c.log_ratio):
        low, high = change.interval()
        rows.append(
            [
                ("aggregate" if change.row == AGGREGATE else code_span(change.row))
                + marks.get(change.level or "", ""),
                format_ms(change.base_ms),
                format_ms(change.head_ms),
                format_signed_pct(change.ratio - 1, 1),
                f"{format_signed_pct(low - 1, 1)} to {format_signed_pct(high - 1, 1)}",
            ]
        )
    headers = ["Endpoint", "Base (ms)", "Head (ms)", "Change", "95% interval"]
    note = (
        "Typical response times (the geometric mean of the middle 80%); the change is judged "
        "relative to the run's other endpoints, the aggregate on its own."
    )
    return "### Head against the base, same runner\n\n" + _table(headers, rows) + "\n\n" + note


def _run_line(results: Results, preset: str | None, *, commit: bool = True) -> str:
    facts = results.facts
    items = [f"preset {code_span(preset)}" if preset else "preset unknown"]
    if facts is None:
        items.insert(0, "plain Locust run (no run.json)")
    else:
        items.append(f"{facts.users} users" if facts.users is not None else "users unknown")
    if facts and facts.run_time_s is not None:
        items.append(format_duration(facts.run_time_s))
    elif results.duration_s:
        items.append(f"{format_duration(results.duration_s)} measured")
    started = facts is not None and facts.target == "started"
    if facts and commit and not started:  # a started API's commit is in its own item
        items.append(f"commit {code_span(facts.git_commit[:7])}" if facts.git_commit else "commit unknown")
    if facts:
        items.append(_target_item(facts))
    return " · ".join(items)


def _target_item(facts: RunFacts) -> str:
    """What the run loaded, in words: a reader must see at once whether it touched a real API."""
    if facts.target == "started":
        if not facts.server_commit:
            return "the API started on the runner from an unknown commit"
        return f"the API started on the runner from commit {code_span(facts.server_commit[:7])}"
    if facts.target == "external" and _on_loopback(facts.host):
        return f"a server on loopback ({code_span(facts.host)})"
    if facts.target in _TARGETS:
        return _TARGETS[facts.target]
    return f"target {code_span(facts.target)}" if facts.target else "target unknown"


def _on_loopback(host: str | None) -> bool:
    try:
        return bool(host) and is_loopback(host)
    except ValueError:  # run.json is the pull request's: a malformed URL is just not loopback
        return False


_TARGETS = {
    "sandbox": "the stand-in API (no `LOADTEST_HOST` set)",
    "external": "a real host (`LOADTEST_HOST`)",
}
"""How the summary names the target: a reader must see at once that a run did not touch a real API."""


def _baseline_line(report: GateReport) -> str:
    baseline = report.baseline
    if baseline is None:
        return "none: absolute limits only."
    facts = baseline.facts
    if facts is None:
        return f"{code_span(baseline.source.name)}, a plain Locust run (no run.json): commit and age unknown"
    age = f"{format_age(report.now - facts.ended_at)} old" if facts.ended_at else "age unknown"
    commit = f"commit {code_span(facts.git_commit[:7])}" if facts.git_commit else "commit unknown"
    history = f"; history of {report.history_runs} runs" if report.history_runs else ""
    return f"{commit}, {age} ({_run_line(baseline, facts.preset, commit=False)}){history}"


def _aggregate_table(report: GateReport) -> str:
    now = report.results.aggregate
    then = report.baseline.aggregate if report.baseline else None
    rows = [["This run", *(_cell(report, now, None, metric) for metric in TABLE_METRICS)]]
    if then is not None:
        rows.append(
            ["Baseline", *(_cell(report, then, None, metric, marks=False) for metric in TABLE_METRICS)]
        )
        rows.append(["Change", *(format_change(m, now.value(m), then.value(m)) for m in TABLE_METRICS)])
    return _table(["", *HEADERS], rows)


def _endpoint_table(report: GateReport, limit: int | None) -> str:
    rows = report.endpoints_worst_first()
    if not rows:
        return ""
    if limit == 0:
        return f"_The per-endpoint table ({len(rows)} rows) is left out to fit a GitHub comment._"
    shown = rows if limit is None else rows[:limit]
    baseline = report.baseline.endpoints if report.baseline and report.baseline_status == "compared" else {}
    grid = [
        [_name_cell(report, row), *(_cell(report, row, baseline.get(row.name), m) for m in TABLE_METRICS)]
        for row in shown
    ]
    headers = ["Endpoint", *HEADERS]
    if report.trend and report.trend.bands:
        headers.append(BAND_HEADER)
        for cells, row in zip(grid, shown, strict=True):
            cells.append(band_cell(report.trend.band(row.name, TYPICAL)))
    if report.trend:
        headers.append(TREND_HEADER)
        for cells, row in zip(grid, shown, strict=True):
            cells.append(charts.trend_cell(report, row.name))
    body = _table(headers, grid)
    if len(shown) < len(rows):
        body += f"\n\n_…{len(rows) - len(shown)} more endpoints left out to fit a GitHub comment._"
    flagged = any(report.findings_for(row.name) for row in rows)
    change = ", change against the baseline in brackets" if baseline else ""
    summary = f"Per endpoint ({len(rows)}, worst first{change})"
    return _details(summary, body, open_=flagged)


def _violations(report: GateReport, limit: int | None) -> str:
    if not report.findings:
        return ""
    shown = report.findings if limit is None else report.findings[:limit]
    rows = [
        [MARKS[f.level], _where(f), *(markdown_text(text, limit=SENTENCE_LIMIT) for text in _texts(f))]
        for f in shown
    ]
    text = "### Violations\n\n" + _table(["", "Where", "Rule", "Observed", "Why"], rows)
    if len(shown) < len(report.findings):
        text += f"\n\n_…{len(report.findings) - len(shown)} more left out to fit a GitHub comment._"
    return text


def _notes(report: GateReport, limit: int | None) -> str:
    if not report.notes:
        return ""
    shown = report.notes if limit is None else report.notes[:limit]
    lines = [f"- {note}" for note in shown]
    if len(shown) < len(report.notes):
        lines.append(f"- _…{len(report.notes) - len(shown)} more notes left out to fit a GitHub comment._")
    return "### Notes\n\n" + "\n".join(lines)


def _failure_messages(results: Results, limit: int) -> str:
    if not results.failures or limit == 0:
        return ""
    shown = results.failures[:limit]
    rows = [
        [code_span(m.name), markdown_text(m.error, limit=MAX_ERROR_CHARS), f"{m.occurrences:,}"]
        for m in shown
    ]
    body = _table(["Endpoint", "Error", "Occurrences"], rows)
    total = len(results.failures)
    label = (
        f"Most frequent failure messages ({len(shown)} of {total})"
        if total > len(shown)
        else (f"Failure messages ({total})")
    )
    return _details(label, body)


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
        ("violations", budget.violations, len(report.findings)),
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


# --- cells ---------------------------------------------------------------------


def _cell(
    report: GateReport,
    row: EndpointStats,
    baseline: EndpointStats | None,
    metric: str,
    *,
    marks: bool = True,
) -> str:
    text = _value_text(row, metric)
    if baseline is not None:
        change = format_change(metric, row.value(metric), baseline.value(metric))
        text = text[:-1] + f", {change})" if text.endswith(")") else f"{text} ({change})"
    level = _worst_level(report, row.name, metric) if marks else None
    return f"{text} {MARKS[level]}" if level else text


def band_cell(band: JudgedBand | None) -> str:
    """``61.2 (49.0–57.0; p 0.0004)``: the typical time, the band it was judged against (its edges at
    the level shown) and its p-value, for every judged row, flagged or not; ``-`` for a row not
    judged against a band."""
    if band is None or band.current is None:
        return "-"
    current, high, low = format_ms_apart(band.current, band.high, band.low)
    p_value = "" if band.p_value is None else f"; {format_p_value(band.p_value)}"
    return f"{current} ({low}–{high}{p_value})"


def _value_text(row: EndpointStats, metric: str) -> str:
    if metric == "requests":
        return f"{row.requests:,}"
    if metric == "failure_ratio":
        return f"{format_percent(row.failure_ratio)} ({row.failures:,})"
    if metric == "rps":
        return format_rps(row.rps)
    return format_ms(row.value(metric))


def _name_cell(report: GateReport, row: EndpointStats) -> str:
    level = _worst_level(report, row.name, None)
    name = code_span(row.name)
    return f"{name} {MARKS[level]}" if level else name


def _worst_level(report: GateReport, scope: str, metric: str | None) -> str | None:
    levels = {
        f.level
        for f in report.findings_for(scope)
        if metric is None or _COLUMN_OF.get(f.metric, f.metric) == metric
    }
    return "fail" if "fail" in levels else "warn" if "warn" in levels else None


def _where(finding: Finding) -> str:
    if finding.scope == RUN:
        return "run"
    if finding.scope == AGGREGATE:
        return "aggregate"
    return code_span(finding.scope)


def _texts(finding: Finding) -> tuple[str, str, str]:
    """A violation's rule, what was observed and why: thresholds.json and run.json are the PR's to write."""
    return finding.rule, finding.observed, finding.reason


def _table(headers: list[str], rows: list[list[str]]) -> str:
    return table(rows, headers=headers, tablefmt="github")


def _details(summary: str, body: str, *, open_: bool = False) -> str:
    opening = "<details open>" if open_ else "<details>"
    return f"{opening}\n<summary>{summary}</summary>\n\n{body}\n\n</details>"
