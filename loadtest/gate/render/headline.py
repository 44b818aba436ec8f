"""The verdict in one line, and one finding in one line: the summary's title, the console, annotations.

The headline says the answer first, in plain words, with its size and what it was compared with::

    FAIL: GET /api/dashboard/ is 44% slower than usual: 74 ms, usually 52 ms (8 runs) and 1 warning

How a finding is compared (with the history's band, one baseline run, an absolute limit) decides
the words: one ``Comparison`` per kind, looked up by the finding's ``source`` in COMPARISONS, so a new
kind of comparison (the base branch measured on the same runner) adds an entry and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from loadtest.bundle import AGGREGATE, split_side_row
from loadtest.gate.findings import RUN, Finding
from loadtest.gate.report import GateReport
from loadtest.gate.units import METRIC_LABELS, format_duration, format_value
from loadtest.text.untrusted import SENTENCE_LIMIT, as_is

Shown = Callable[..., str]
"""How a finding's text is shown: ``markdown_text``, ``console_text`` or ``as_is`` (text.untrusted)."""


Phrase = Callable[[GateReport, Finding, Shown], str]
"""A comparison's own words after the subject, for a kind whose numbers read differently:
``is 23% slower than the base (61 ms vs 50 ms, 95% interval …), same runner``."""


@dataclass(frozen=True)
class Comparison:
    """How findings of one kind name what they were compared with.

    ``than``: the headline's comparison (``than usual``); ``usually``: the word before the reference
    value (``usually 52 ms``); ``column``: the findings table's header for that value;
    ``runs``: whether the reference is a history (its run count is then shown); ``phrase``: the
    kind's own words instead of ``than`` and ``usually``."""

    than: str
    usually: str
    column: str
    runs: bool = False
    phrase: Phrase | None = None


def _against_base(report: GateReport, finding: Finding, text: Shown) -> str:
    """The paired verdict's own words: ``is 23% slower than the base (61 ms vs 50 ms, …), same runner``."""
    observed = text(finding.observed, limit=SENTENCE_LIMIT)
    return f"— {observed}" if finding.metric == "failures" else f"is {observed}"


COMPARISONS: dict[str, Comparison] = {
    "regression.base": Comparison("than the base", "base", "Base", phrase=_against_base),
    "regression.history": Comparison("than usual", "usually", "Usual", runs=True),
    "regression.": Comparison("than the baseline run", "was", "Baseline run"),
}
"""A finding's ``source`` prefix, longest first wins, and how its comparison is worded."""

_SLOWER = {"latency": ("slower", "faster"), "rps": ("fewer requests/s", "more requests/s")}


def comparison_of(finding: Finding) -> Comparison | None:
    """The comparison behind a finding, or None when it broke an absolute limit or a run rule."""
    if finding.kind != "regression":
        return None
    for prefix in sorted(COMPARISONS, key=len, reverse=True):
        if finding.source.startswith(prefix):
            return COMPARISONS[prefix]
    return None


def headline(report: GateReport, *, text: Shown = as_is) -> str:
    """The verdict and the worst finding in plain words, then how many more: one line.

    Our own template; the endpoint and what was observed in it appear only through ``text``.
    """
    verdict = report.verdict.upper()
    if report.interrupted:
        return f"{verdict}: {_interruption(report)}"
    if not report.findings:
        endpoints = _endpoint_count(report)
        within = f"all {endpoints} endpoints and the aggregate within limits"
        baseline = {
            "compared": _compared_with(report),
            "none": "no baseline, so no regression check",
            "skipped": "regression not checked",
        }[report.baseline_status]
        return f"{verdict}: {within}; {baseline}"
    first = headline_finding(report)
    return f"{verdict}: {say(report, first, text=text)}{more_findings(report, first)}"


def _endpoint_count(report: GateReport) -> int:
    """The run's endpoints, each once: a run with a base has a row per side (and block) of each."""
    names = report.results.endpoints
    return len({(split_side_row(name) or (name,))[0] for name in names})


def _compared_with(report: GateReport) -> str:
    if report.base is not None:
        return "none slower than the base, same runner"
    runs = report.history_runs
    return f"none slower than usual ({runs} runs)" if runs else "no regression against the baseline run"


def more_findings(report: GateReport, first: Finding) -> str:
    """`` and 1 warning``, `` and 2 more failures and 1 warning``: what the headline does not name."""
    rest = [finding for finding in report.findings if finding is not first]
    failures = sum(finding.level == "fail" for finding in rest)
    warnings = len(rest) - failures
    counts = []
    if failures:
        counts.append(f"{failures} more failure{'s' * (failures != 1)}")
    if warnings:
        counts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return "".join(f" and {count}" for count in counts)


def _interruption(report: GateReport) -> str:
    """``interrupted after 11 s of 60 s (SIGINT), so not judged``: what ran, against what was planned."""
    facts = report.results.facts
    assert facts is not None  # only run.json says a run was interrupted
    ran = f" after {format_duration(facts.duration_s)}" if facts.duration_s is not None else ""
    planned = f" of {format_duration(facts.run_time_s)}" if ran and facts.run_time_s else ""
    by = f" ({facts.signal})" if facts.signal else ""
    return f"interrupted{ran}{planned}{by}, so not judged"


def headline_finding(report: GateReport) -> Finding:
    """The worst finding, preferring a stopped run (nothing else matters as much), then one that names
    an endpoint: that is where a reader looks first."""
    worst = report.findings[0].level
    for finding in report.findings:
        if finding.level == worst and finding.scope == RUN and finding.kind == "run":
            return finding
    if report.base is not None:
        # Against a base measured in the same run, the endpoint's comparison with it is the news; of
        # several, the one that changed most: a view with an N+1 query makes the whole head server
        # busier, and its own +289% must lead, not the +52% it causes elsewhere.
        against_base = [
            finding
            for finding in report.findings
            if finding.level == worst
            and finding.source.startswith("regression.base")
            and finding.scope != AGGREGATE
        ]
        if against_base:
            return max(against_base, key=_severity)
    for finding in report.findings:
        if finding.level == worst and finding.scope not in (RUN, AGGREGATE):
            return finding
    return report.findings[0]


def _severity(finding: Finding) -> tuple[bool, float]:
    """Errors before slowness, then the larger change (head over base; a ratio's points for failures)."""
    errors = finding.metric not in ("typical", "rps")
    if finding.value is None or finding.baseline is None:
        return errors, 0.0
    if errors:
        return errors, finding.value - finding.baseline
    return errors, finding.value / finding.baseline if finding.baseline > 0 else 0.0


def say(report: GateReport, finding: Finding, *, text: Shown = as_is) -> str:
    """One finding in plain words, with its size and what it was compared with:
    ``GET /api/x/ is 44% slower than usual: 74 ms, usually 52 ms (8 runs)``."""
    if finding.kind == "limit" and finding.value is not None and finding.limit is not None:
        side = "under its floor" if finding.value < finding.limit else "over its limit"
        now, limit = (format_value(finding.metric, value) for value in (finding.value, finding.limit))
        # A limit only warns when the run's own sample cannot tell (loadtest.gate.findings.limit_uncertain).
        unsure = ", but too few requests to tell" if finding.level == "warn" else ""
        return f"{_scope(finding, text)}{_metric_words(finding)} is {now}, {side} of {limit}{unsure}"
    comparison = comparison_of(finding)
    ratio = finding.metric == "failure_ratio"
    if (
        comparison is None
        or finding.value is None
        or finding.baseline is None
        or not (ratio or finding.baseline)
    ):
        return describe(finding, text=text)
    subject = f"{_scope(finding, text)}{_metric_words(finding)}"
    if comparison.phrase is not None:
        return f"{subject} {comparison.phrase(report, finding, text)}"
    change = (
        finding.value - finding.baseline if ratio else (finding.value - finding.baseline) / finding.baseline
    )
    now, then = format_value(finding.metric, finding.value), format_value(finding.metric, finding.baseline)
    runs = f" ({report.history_runs} runs)" if comparison.runs and report.history_runs else ""
    return (
        f"{subject} is {_size(finding, change)} {comparison.than}: {now}, {comparison.usually} {then}{runs}"
    )


def _scope(finding: Finding, text: Shown) -> str:
    return "the aggregate" if finding.scope == AGGREGATE else text(finding.scope)


def _metric_words(finding: Finding) -> str:
    """The typical time is what "slower" means to a reader; any other metric is named."""
    return "" if finding.metric == "typical" else f" {METRIC_LABELS.get(finding.metric, finding.metric)}"


def _size(finding: Finding, change: float) -> str:
    """``44% slower``, ``30% fewer requests/s``, ``6.67 pp higher``."""
    if finding.metric == "failure_ratio":
        return f"{abs(finding.value - finding.baseline) * 100:.2f} pp {'higher' if change > 0 else 'lower'}"
    more, less = _SLOWER["rps" if finding.metric == "rps" else "latency"]
    return f"{abs(change) * 100:.0f}% {more if change > 0 else less}"


def describe(finding: Finding, *, text: Shown = as_is) -> str:
    """One finding in one line, for the console and annotations; its texts shown through ``text``."""
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
