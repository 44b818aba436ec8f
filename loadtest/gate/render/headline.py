"""The verdict in one line, and one finding in one line: the summary's title, the console, annotations."""

from __future__ import annotations

from collections.abc import Callable

from loadtest.bundle import AGGREGATE
from loadtest.gate.findings import RUN, Finding
from loadtest.gate.report import GateReport
from loadtest.gate.units import format_duration
from loadtest.untrusted import SENTENCE_LIMIT, as_is

Shown = Callable[..., str]
"""How a finding's text is shown: ``markdown_text``, ``console_text`` or ``as_is`` (loadtest.untrusted)."""


def headline(report: GateReport, *, text: Shown = as_is) -> str:
    """The verdict and why, in one line: ``FAIL: GET /api/x/: 812 ms breaks p95 ≤ 500 ms (+2 more)``.

    Our own template; the endpoint and what was observed in it appear only through ``text``.
    """
    verdict = report.verdict.upper()
    if report.interrupted:
        return f"{verdict}: {_interruption(report)}"
    if not report.findings:
        endpoints = len(report.results.endpoints)
        within = f"all {endpoints} endpoints and the aggregate within limits"
        baseline = {
            "compared": "no regression against the baseline",
            "none": "no baseline, so no regression check",
            "skipped": "regression not checked",
        }[report.baseline_status]
        return f"{verdict}: {within}; {baseline}"
    first, rest = _headline_finding(report), len(report.findings) - 1
    more = f" (+{rest} more)" if rest else ""
    return f"{verdict}: {describe(first, text=text)}{more}"


def _interruption(report: GateReport) -> str:
    """``interrupted after 11 s of 60 s (SIGINT), so not judged``: what ran, against what was planned."""
    facts = report.results.facts
    assert facts is not None  # only run.json says a run was interrupted
    ran = f" after {format_duration(facts.duration_s)}" if facts.duration_s is not None else ""
    planned = f" of {format_duration(facts.run_time_s)}" if ran and facts.run_time_s else ""
    by = f" ({facts.signal})" if facts.signal else ""
    return f"interrupted{ran}{planned}{by}, so not judged"


def _headline_finding(report: GateReport) -> Finding:
    """The worst finding, preferring a stopped run (nothing else matters as much), then one that names
    an endpoint: that is where a reader looks first."""
    worst = report.findings[0].level
    if report.base is not None:
        # Against a base measured in the same run, the endpoint's comparison with it is the news.
        for finding in report.findings:
            if (
                finding.level == worst
                and finding.source.startswith("regression.base")
                and finding.scope != AGGREGATE
            ):
                return finding
    for finding in report.findings:
        if finding.level == worst and finding.scope == RUN and finding.kind == "run":
            return finding
    for finding in report.findings:
        if finding.level == worst and finding.scope not in (RUN, AGGREGATE):
            return finding
    return report.findings[0]


def describe(finding: Finding, *, text: Shown = as_is) -> str:
    """One finding in one line, for the headline and annotations; its texts shown through ``text``."""
    scope = "aggregate" if finding.scope == AGGREGATE else text(finding.scope)
    observed = text(finding.observed, limit=SENTENCE_LIMIT)
    if finding.kind == "limit":
        return f"{scope}: {observed} breaks {text(finding.rule, limit=SENTENCE_LIMIT)}"
    if finding.source.startswith("regression.base"):
        # Against the base measured in the same run: "GET /x/ is 23% slower than the base (...)".
        return f"{scope} is {observed}" if finding.metric == "typical" else f"{scope}: {observed}"
    if finding.kind == "regression":
        return f"{scope}: {finding.metric} {observed}"
    if finding.scope == RUN and finding.kind == "run":
        return f"the run {observed}"
    if finding.scope == RUN:
        return f"baseline not comparable ({observed}): regression checks skipped"
    if finding.scope == AGGREGATE and finding.kind == "run":
        return f"the run made {observed}"
    return f"{scope}: {observed}"
