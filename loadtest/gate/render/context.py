"""The lines under the summary's headline: what ran, what it was compared with, further failures,
and the head against its base when both ran on the same runner."""

from __future__ import annotations

from urllib.parse import urlsplit

from loadtest.bundle import AGGREGATE, Results
from loadtest.bundle.facts import RunFacts
from loadtest.config import is_loopback
from loadtest.gate.findings import Finding
from loadtest.gate.render.headline import headline_finding, say
from loadtest.gate.render.markdown_table import compact_table
from loadtest.gate.report import GateReport
from loadtest.gate.units import (
    format_age,
    format_duration,
    format_ms,
    format_signed_pct,
)
from loadtest.text.untrusted import code_span, markdown_text

MAX_CONTEXT_LINES = 3
"""Lines under the headline: what ran, what it was compared with, further failures."""


def context(report: GateReport) -> str:
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


def base_table(report: GateReport) -> str:
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
