"""What the gate found: one Finding per broken rule, the verdict they add up to, and the constructors
of the findings about the run, its coverage and its limits. The regressions' constructors are
loadtest.gate.regression_findings'; the two modules are the only places that write ``Finding(...)``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from loadtest.bundle import AGGREGATE, BASE_SERVER_LOG, LATENCY_METRICS, SERVER_LOG
from loadtest.gate.stats import SampleInterval
from loadtest.gate.thresholds import Coverage, Limit
from loadtest.gate.units import (
    LIMIT_METRICS,
    METRIC_LABELS,
    format_duration,
    format_value,
)

Level = Literal["warn", "fail"]
Verdict = Literal["pass", "warn", "fail", "incomplete"]
"""``incomplete``: the run was interrupted, so its findings are shown but never add up to a pass."""

RUN = "run"
"""The scope of findings about the run as a whole rather than one row (e.g. a mismatched baseline)."""

_RANK = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One broken rule, worded for the summary and kept as numbers for verdict.json."""

    level: Level
    scope: str
    """An endpoint's stats name, ``Aggregated``, or RUN."""
    kind: Literal["limit", "regression", "baseline", "run"]
    metric: str | None
    """The EndpointStats metric it marks (``p95``, ``rps``, ``failure_ratio``, ``requests``...)."""
    rule: str
    """The rule in words: ``p95 ≤ 500 ms``."""
    observed: str
    """What was seen, in words: ``812 ms`` or ``120 → 412 ms (+243%, +292 ms)``."""
    reason: str = ""
    value: float | None = None
    baseline: float | None = None
    limit: float | None = None
    source: str = ""
    """Where in thresholds.json the rule was set."""


def rank(verdict: str) -> int:
    return _RANK[verdict]


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    worst: Verdict = "pass"
    for finding in findings:
        if rank(finding.level) > rank(worst):
            worst = finding.level
    return worst


# --- one constructor per kind of finding -----------------------------------------
# Each rule is worded here and nowhere else: the summary, the console, the annotations and
# verdict.json all show these texts, and the expected summaries in tests pin them.


def run_without_requests() -> Finding:
    """The run made no request at all."""
    return Finding(
        level="fail",
        scope=AGGREGATE,
        kind="run",
        metric="requests",
        rule="at least 1 request",
        observed="0 requests",
        reason="A run without requests tested nothing: is the target up, is the locustfile right?",
        value=0,
    )


def stopped_early(condition: str, at_s: float | None, run_time_s: float | None) -> Finding:
    """A stop condition ended the run early (loadtest.user.status): the target was failing under the load."""
    return Finding(
        level="fail",
        scope=RUN,
        kind="run",
        metric=None,
        rule="no stop condition fires (the `stop` section of thresholds.json, the preset's stop-* keys)",
        observed=f"stopped early{_after(at_s, run_time_s)}: {condition}",
        reason=(
            "The target failed so plainly that the run stopped instead of loading it for the rest of "
            "its run time; the figures cover only the part that ran."
        ),
        value=at_s,
        limit=run_time_s,
        source="stop",
    )


def server_ended(how: str, at_s: float | None, run_time_s: float | None, *, side: str = "head") -> Finding:
    """The API started on the runner (``side``: the head's, or the base's beside it) ended while the
    load ran (loadtest.run.server): it crashed or was killed, which no figure of the run can excuse."""
    if side == "base":
        whose, what, log = "the base's", "the base", BASE_SERVER_LOG
    else:
        whose, what, log = "its", "the server under test", SERVER_LOG
    return Finding(
        level="fail",
        scope=RUN,
        kind="run",
        metric=None,
        rule=f"{'the' if side == 'head' else whose} API started on the runner serves the whole run",
        observed=f"lost {whose} API server{_after(at_s, run_time_s)}: {how}",
        reason=(
            f"{what.capitalize()} crashed or was killed while it was being loaded, so the load stopped; "
            f"its output is {log} in the results bundle."
        ),
        value=at_s,
        limit=run_time_s,
        source="run",
    )


def _after(at_s: float | None, run_time_s: float | None) -> str:
    """`` after 12 s of 60 s``: when a run was cut short, and of how long; empty when unknown."""
    if at_s is None:
        return ""
    return f" after {format_duration(at_s)}" + (f" of {format_duration(run_time_s)}" if run_time_s else "")


def not_exercised(endpoint: str, coverage: Coverage) -> Finding:
    """An endpoint the run was meant to exercise (or Locust listed) that got no request."""
    return Finding(
        level=coverage.level,
        scope=endpoint,
        kind="run",
        metric="requests",
        rule="every endpoint the run was meant to exercise gets requests",
        observed="not exercised: 0 requests",
        reason=coverage.reason,
        value=0,
        source="coverage.level",
    )


def limit_broken(
    scope: str, metric: str, observed: float, limit: Limit, interval: SampleInterval | None = None
) -> Finding:
    """A row's ``metric`` broke an absolute limit of thresholds.json (its interval too, when the
    limit is judged by one)."""
    shown = format_value(metric, observed)
    if interval is not None:
        shown += f" ({_interval_words(metric, interval)})"
    return _limit_finding("fail", scope, metric, observed, limit, shown, limit.reason)


def limit_uncertain(
    scope: str, metric: str, observed: float, limit: Limit, interval: SampleInterval, reason: str
) -> Finding:
    """A row's ``metric`` is beyond an absolute limit, but its confidence interval from the run's
    own sample reaches back across it: too few requests to tell, so a warning that says how many
    would; ``reason`` is thresholds.json's for judging limits by their interval."""
    needed = f"; about {interval.needed:,} requests would give a firm answer" if interval.needed else ""
    shown = (
        f"{format_value(metric, observed)}, but {_interval_words(metric, interval)} reaches the limit: "
        f"too few requests to tell{needed}"
    )
    return _limit_finding("warn", scope, metric, observed, limit, shown, reason)


def _limit_finding(
    level: Level, scope: str, metric: str, observed: float, limit: Limit, shown: str, reason: str
) -> Finding:
    return Finding(
        level=level,
        scope=scope,
        kind="limit",
        metric=metric,
        rule=describe_limit(limit),
        observed=shown,
        reason=reason,
        value=observed,
        limit=limit.value,
        source=limit.source,
    )


def limit_not_checked(scope: str, metric: str, limit: Limit) -> Finding:
    """A row with requests but no value for a limited metric (a stats CSV's ``N/A``, no locust.json)."""
    return Finding(
        level="warn",
        scope=scope,
        kind="limit",
        metric=metric,
        rule=describe_limit(limit),
        observed="not recorded in the results (N/A), so not checked",
        reason="A limit with no number to check is neither met nor broken: the run is not passed as if it "
        "were met.",
        limit=limit.value,
        source=limit.source,
    )


def _interval_words(metric: str, interval: SampleInterval) -> str:
    """``95% interval 1,200–2,100 ms from 230 requests``."""
    low, high = format_value(metric, interval.low), format_value(metric, interval.high)
    unit = " ms" if metric in LATENCY_METRICS else " req/s" if metric == "rps" else ""
    low = low.removesuffix(unit) if unit else low
    return f"{interval.confidence:.0%} interval {low}–{high} from {interval.requests:,} requests"


def describe_limit(limit: Limit) -> str:
    """``p95 ≤ 500 ms``, ``requests/s ≥ 1.00 req/s``."""
    metric = LIMIT_METRICS.get(limit.metric, limit.metric)
    sign = "≥" if limit.is_floor else "≤"
    return f"{METRIC_LABELS[metric]} {sign} {format_value(metric, limit.value)}"
