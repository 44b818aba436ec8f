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
from urllib.parse import urlsplit

from loadtest.bundle import AGGREGATE, EndpointStats, Results
from loadtest.bundle.facts import RunFacts
from loadtest.config import is_loopback
from loadtest.gate.findings import RUN, Finding
from loadtest.gate.render import charts
from loadtest.gate.render.headline import comparison_of, headline, headline_finding, say
from loadtest.gate.report import GateReport
from loadtest.gate.series import JudgedBand, metric_value
from loadtest.gate.stats import TYPICAL
from loadtest.gate.tails import judgeable
from loadtest.gate.units import (
    METRIC_LABELS,
    format_age,
    format_duration,
    format_ms,
    format_ms_apart,
    format_p_value,
    format_percent,
    format_points,
    format_relative,
    format_signed_pct,
    format_value,
)
from loadtest.text.summary_limits import MAX_SUMMARY_CHARS, SUMMARY_MARKER, fit_comment
from loadtest.text.untrusted import SENTENCE_LIMIT, code_span, markdown_text

TOP_FAILURE_MESSAGES = 10
MAX_ERROR_CHARS = 200
MAX_CONTEXT_LINES = 3
"""Lines under the headline: what ran, what it was compared with, further failures."""

MARKS = {"fail": "❌", "warn": "⚠️"}
VERDICT_MARKS = {"pass": "✅", "warn": "⚠️", "fail": "❌", "incomplete": "⏹️"}
SHORT_LABELS = {**METRIC_LABELS, TYPICAL: "typical time"}
"""What moved, in a table cell."""
COLUMN_LABELS = {**METRIC_LABELS, TYPICAL: "typical"}
"""A per-endpoint table's column header."""
BAND_HEADER = "typical ms (band; p)"
"""The per-endpoint table's column of a metric judged against a band: value, band and p-value."""
PERCENTILE_COLUMNS = ("p50", "p95", "p99")
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
NO_VALUE = "–"
_TOLERANCE_WORDS = {"slower by over ": "+", "higher by over ": "+", "lower by over ": "−"}
"""A fixed tolerance's words as a limit cell: ``p95 slower by over 30% and 10 ms`` is
``+30% and 10 ms``, the change it may not exceed."""
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
        _context(report),
        _findings(report, budget.violations, marks),
        _base_table(report),
        charts.trend_section(report, budget.charts),
        _endpoint_table(report, budget.endpoints),
        _notes(report, budget.notes, marks),
        _failure_messages(report.results, budget.failures),
        _trim_note(report, budget),
        _footer(report),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


# --- the lines under the headline --------------------------------------------------


def _context(report: GateReport) -> str:
    """What ran, what it was compared with, and the failures the headline does not name."""
    lines = [
        f"**Load test ran:** {_run_line(report.results, report.preset)}",
        f"**Compared with:** {_compared(report)}",
    ]
    further = _further_failures(report)
    if further:
        lines.append(f"**Also failing:** {further}")
    return "  \n".join(lines[:MAX_CONTEXT_LINES])


def _further_failures(report: GateReport, shown: int = 2) -> str:
    """The worst failure of each other row (the headline's row already has its line), ``shown`` of them."""
    if not report.findings or report.interrupted:
        return ""
    first = headline_finding(report)
    worst_per_row: dict[str, Finding] = {}
    for finding in report.findings:
        if finding.level == "fail" and finding.scope != first.scope:
            worst_per_row.setdefault(finding.scope, finding)
    rest = list(worst_per_row.values())
    words = [say(report, finding, text=markdown_text) for finding in rest[:shown]]
    if len(rest) > shown:
        words.append(f"{len(rest) - shown} more in the table")
    return "; ".join(words)


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
    return "### Head against the base, same runner\n\n" + compact_table(headers, rows) + "\n\n" + note


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
    if facts:
        items.append(describe_target(facts))
    started = facts is not None and facts.target == "started"
    if facts and commit and not started:  # a started API's commit is in its own item
        items.append(f"commit {code_span(facts.git_commit[:7])}" if facts.git_commit else "commit unknown")
    return " · ".join(items)


def describe_target(facts: RunFacts) -> str:
    """The target as it was: a reader must see at once whether a run touched a real API, and which."""
    if facts.target == "sandbox":
        return "the stand-in API"
    if facts.target == "started":
        server = getattr(facts, "server_commit", None)  # run.json's, when the run started the API
        if not server:
            return "the API started on the runner from an unknown commit"
        return f"the API started on the runner from commit {code_span(server[:7])}"
    if facts.target == "external":
        where = _host(facts.host)
        if where is None:
            return "a remote host (`LOADTEST_HOST`)"
        kind = "a host on loopback" if _on_loopback(where) else "a remote host"
        return f"{kind} {code_span(where)}"
    return f"target {code_span(facts.target)}" if facts.target else "target unknown"


def _host(url: str | None) -> str | None:
    """``127.0.0.1:8000`` of ``http://127.0.0.1:8000/api``; None when there is none to show."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        return parts.netloc.rpartition("@")[2] or None
    except ValueError:
        return None


def _on_loopback(where: str) -> bool:
    """Whether ``127.0.0.1:8000`` is on loopback; run.json is the pull request's: malformed is not."""
    try:
        return is_loopback(f"//{where}")
    except ValueError:
        return False


def _compared(report: GateReport) -> str:
    if report.base is not None:
        return _base_line(report) + "."
    baseline = report.baseline
    if baseline is None:
        return "nothing: no baseline, absolute limits only."
    if report.baseline_status == "skipped":
        return f"nothing: the baseline ran with other settings ({_baseline_run(report)})."
    if report.history_runs:
        runs = report.history_runs
        return f"the last {runs} runs of the default branch (newest {_baseline_run(report)})."
    return f"the baseline run ({_baseline_run(report)})."


def _baseline_run(report: GateReport) -> str:
    """``commit `7777777`, 94 min old``: the baseline run."""
    assert report.baseline is not None
    facts = report.baseline.facts
    if facts is None:
        return f"{code_span(report.baseline.source.name)}, a plain Locust run: commit and age unknown"
    commit = f"commit {code_span(facts.git_commit[:7])}" if facts.git_commit else "commit unknown"
    age = f"{format_age(report.now - facts.ended_at)} old" if facts.ended_at else "age unknown"
    return f"{commit}, {age}"


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


# --- the per-endpoint table ----------------------------------------------------------


def _endpoint_table(report: GateReport, limit: int | None) -> str:
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
    return _details(f"Per endpoint ({', '.join(facts)}; {_against(report)})", body)


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


def compact_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table without padding: it renders the same, and padding spaces only cost characters."""
    lines = [_table_line(headers), _table_line(["-"] * len(headers))]
    lines += [_table_line(row) for row in rows]
    return "\n".join(lines)


def _table_line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell or " " for cell in cells) + " |"


def band_cell(band: JudgedBand | None) -> str:
    """``61.2 (49.0–57.0; p 0.0004)``: the typical time, the band it was judged against (its edges at
    the level shown) and its p-value, for every judged row, flagged or not; ``-`` for a row not
    judged against a band."""
    if band is None or band.current is None:
        return "-"
    current, high, low = format_ms_apart(band.current, band.high, band.low)
    p_value = "" if band.p_value is None else f"; {format_p_value(band.p_value)}"
    return f"{current} ({low}–{high}{p_value})"


def _details(summary: str, body: str) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"
