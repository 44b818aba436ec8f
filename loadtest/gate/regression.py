"""Regression against a baseline run.

The decision for one row sits behind ``RegressionDecision``: a function from the current row,
the baseline row and the rules to findings. ``tolerance_decision`` is the one thresholds.json
describes (relative AND absolute change, warn and fail levels); a noise-aware decision from a
baseline history can replace it without touching the comparison around it or the rendering.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Literal, Protocol

from loadtest.bundle import AGGREGATE, EndpointStats, Results, RunFacts
from loadtest.gate.findings import Finding, Level
from loadtest.gate.regression_findings import (
    baseline_mismatch,
    failure_ratio_regression,
    latency_regression,
    missing_from_run,
    throughput_regression,
)
from loadtest.gate.tails import MIN_TAIL, judgeable
from loadtest.gate.thresholds import RegressionRule, RegressionRules, Tolerance
from loadtest.text.untrusted import code_span

BaselineStatus = Literal["none", "compared", "skipped"]


class RegressionDecision(Protocol):
    def __call__(
        self, current: EndpointStats, baseline: EndpointStats, rules: RegressionRules
    ) -> list[Finding]:
        """Findings for one row (an endpoint or the aggregate) present in both runs."""
        ...


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """The outcome of comparing a run with its baseline."""

    status: BaselineStatus
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    new_endpoints: list[str] = field(default_factory=list)
    missing_endpoints: list[str] = field(default_factory=list)


def compare_with_baseline(
    current: Results,
    baseline: Results | None,
    rules: RegressionRules,
    *,
    preset: str | None,
    decide: RegressionDecision | None = None,
) -> Comparison:
    """Check that the runs are comparable, then apply ``decide`` to every row they share."""
    if baseline is None:
        return Comparison(status="none")
    decide = decide or tolerance_decision
    mismatches = settings_mismatches(current.facts, baseline.facts, preset=preset)
    if mismatches:
        return Comparison(
            status="skipped",
            findings=[baseline_mismatch(mismatches)],
        )
    notes = _unchecked_settings(current.facts, baseline.facts)
    new = [name for name in current.endpoints if name not in baseline.endpoints]
    missing = [name for name in baseline.endpoints if name not in current.endpoints]
    findings = [missing_from_run(name) for name in missing]
    too_few, compared = [], 0
    thin_tails: dict[str, list[str]] = {}
    for now_row, then_row in _shared_rows(current, baseline):
        if min(now_row.requests, then_row.requests) < rules.min_requests:
            too_few.append(now_row.name)
            continue
        compared += 1
        findings += decide(now_row, then_row, rules)
        if rules.latency and _by_tolerances(decide, now_row):
            for metric in thin_tailed(now_row, then_row, rules.latency.metrics):
                thin_tails.setdefault(metric, []).append(now_row.name)
    if new:
        notes.append(f"New in this run, not in the baseline: {_names(new)}.")
    if too_few:
        notes.append(
            f"Not compared, fewer than {rules.min_requests} requests on one side "
            f"(percentiles of so few samples are noise): {_names(too_few)}."
        )
    if thin_tails:
        notes.append(_thin_tails_note(thin_tails, compared=compared))
    return Comparison(
        status="compared", findings=findings, notes=notes, new_endpoints=new, missing_endpoints=missing
    )


def settings_mismatches(
    current: RunFacts | None, baseline: RunFacts | None, *, preset: str | None
) -> list[str]:
    """Settings both runs record and that differ, as ``users 10 here, 50 in the baseline`` (RunFacts)."""
    if baseline is None:
        return []
    return [mismatch.describe() for mismatch in (current or RunFacts()).mismatches(baseline, preset=preset)]


def tolerance_decision(
    current: EndpointStats, baseline: EndpointStats, rules: RegressionRules
) -> list[Finding]:
    """thresholds.json's rule: a change fires when it exceeds both the relative and the absolute tolerance."""
    findings = []
    if rules.latency:
        for metric in rules.latency.metrics:
            findings += _latency(current, baseline, rules.latency, metric)
    # Throughput only for the run as a whole: with fixed users and waits, one slow endpoint lowers
    # every endpoint's requests/s, and an endpoint's share of random task picks is noisy by itself.
    if rules.throughput and current.name == AGGREGATE:
        findings += _throughput(current, baseline, rules.throughput)
    if rules.failure_ratio:
        findings += _failure_ratio(current, baseline, rules.failure_ratio)
    return findings


def thin_tailed(now: EndpointStats, then: EndpointStats, metrics: Iterable[str]) -> list[str]:
    """The percentiles among ``metrics`` that either run has too few requests beyond to compare (fewer
    than MIN_TAIL): with 50 requests p99 is the single slowest one, and one stall moves it tenfold."""
    return [metric for metric in metrics if not (judgeable(now, metric) and judgeable(then, metric))]


def _by_tolerances(decide: RegressionDecision, row: EndpointStats) -> bool:
    """Whether the fixed tolerances judged the row's latency: always, or where a history decision
    fell back to them (it lists those rows; its own rows skip thin tails and say so themselves)."""
    return decide is tolerance_decision or row.name in getattr(decide, "fallback_rows", ())


def _thin_tails_note(rows_by_metric: dict[str, list[str]], *, compared: int) -> str:
    metrics_by_rows: dict[tuple[str, ...], list[str]] = {}
    for metric, rows in rows_by_metric.items():
        metrics_by_rows.setdefault(tuple(rows), []).append(metric)
    parts = [
        f"{' and '.join(metrics)} on {'every row' if len(rows) == compared else _names(list(rows))}"
        for rows, metrics in metrics_by_rows.items()
    ]
    return (
        f"Not compared, fewer than {MIN_TAIL} requests slower than the percentile in this run or the "
        f"baseline: {'; '.join(parts)}."
    )


def _latency(now: EndpointStats, then: EndpointStats, rule: RegressionRule, metric: str) -> list[Finding]:
    current, baseline = now.value(metric), then.value(metric)
    if current is None or baseline is None or thin_tailed(now, then, (metric,)):
        return []
    finding = partial(latency_regression, metric=metric)
    return _beyond_tolerance(finding, rule, now.name, current, baseline, worse=current - baseline)


def _throughput(now: EndpointStats, then: EndpointStats, rule: RegressionRule) -> list[Finding]:
    if now.rps is None or then.rps is None:
        return []
    return _beyond_tolerance(
        throughput_regression, rule, now.name, now.rps, then.rps, worse=then.rps - now.rps
    )


def _failure_ratio(now: EndpointStats, then: EndpointStats, rule: RegressionRule) -> list[Finding]:
    rise = now.failure_ratio - then.failure_ratio
    return _beyond_tolerance(
        failure_ratio_regression, rule, now.name, now.failure_ratio, then.failure_ratio, worse=rise
    )


def _beyond_tolerance(
    finding: Callable[..., Finding],
    rule: RegressionRule,
    scope: str,
    current: float,
    baseline: float,
    *,
    worse: float,
) -> list[Finding]:
    """``finding`` at the level whose tolerance the change exceeds; none within both.

    ``worse`` is the change in the direction that hurts: growth of a latency or a failure
    ratio, a drop of throughput.
    """
    level = _level(rule, _relative(worse, baseline), worse)
    if level is None:
        return []
    tolerance = _tolerance(rule, level)
    return [
        finding(level, scope, current=current, baseline=baseline, tolerance=tolerance, reason=rule.reason)
    ]


def _level(rule: RegressionRule, relative: float, absolute: float) -> Level | None:
    if rule.fail and rule.fail.is_exceeded(relative, absolute):
        return "fail"
    if rule.warn and rule.warn.is_exceeded(relative, absolute):
        return "warn"
    return None


def _tolerance(rule: RegressionRule, level: Level) -> Tolerance:
    tolerance = rule.fail if level == "fail" else rule.warn
    assert tolerance is not None  # _level only returns a level whose tolerance exists
    return tolerance


def _relative(change: float, baseline: float) -> float:
    """The change as a fraction of the baseline; growth from zero is unbounded."""
    if baseline > 0:
        return change / baseline
    return math.inf if change > 0 else 0.0


def _shared_rows(current: Results, baseline: Results) -> Iterator[tuple[EndpointStats, EndpointStats]]:
    yield current.aggregate, baseline.aggregate
    for name, row in current.endpoints.items():
        if name in baseline.endpoints:
            yield row, baseline.endpoints[name]


def _unchecked_settings(current: RunFacts | None, baseline: RunFacts | None) -> list[str]:
    sides = [side for side, facts in (("this run", current), ("the baseline", baseline)) if facts is None]
    if not sides:
        return []
    who = " and ".join(sides)
    return [
        f"No recorded settings for {who} (a plain Locust run has no run.json): "
        "compared without checking that preset, users and run length match."
    ]


def _names(names: list[str]) -> str:
    return ", ".join(code_span(name) for name in names)
