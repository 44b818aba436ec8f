"""Absolute limits: every endpoint and the aggregate against the limits thresholds.json sets for them."""

from __future__ import annotations

from collections.abc import Mapping

from loadtest.bundle import AGGREGATE, EndpointStats, Results
from loadtest.gate.findings import Finding
from loadtest.gate.thresholds import Coverage, Limit, Rules
from loadtest.gate.units import LIMIT_METRICS, METRIC_LABELS, format_value


def check_run(results: Results, rules: Rules) -> tuple[list[Finding], list[str]]:
    """Findings for every broken limit, and notes on limits that could not be checked."""
    findings = check_activity(results)
    coverage, notes = check_coverage(results, rules.coverage)
    findings += coverage
    for stats in (results.aggregate, *results.endpoints.values()):
        found, unchecked = check_limits(stats, rules.endpoint_limits(stats.name))
        findings += found
        if unchecked and stats.requests:
            metrics = ", ".join(unchecked)
            notes.append(f"`{stats.name}`: {metrics} not recorded in the results, so not checked.")
    return findings, notes


def check_activity(results: Results) -> list[Finding]:
    """A run without requests tested nothing."""
    if results.aggregate.requests == 0:
        return [
            Finding(
                level="fail",
                scope=AGGREGATE,
                kind="run",
                metric="requests",
                rule="at least 1 request",
                observed="0 requests",
                reason="A run without requests tested nothing: is the target up, is the locustfile right?",
                value=0,
            )
        ]
    return []


def expected_endpoints(results: Results) -> tuple[list[str], list[str]]:
    """The endpoints the run was meant to exercise (run.json's list), and a note when there is none."""
    recorded = results.facts.endpoints if results.facts else ()
    if recorded:
        return list(recorded), []
    return [], [
        "No endpoint list in run.json (a plain Locust run records none): coverage is checked "
        "only on the endpoints Locust listed."
    ]


def check_coverage(results: Results, coverage: Coverage) -> tuple[list[Finding], list[str]]:
    """A finding for every endpoint the run was meant to exercise (or Locust listed) that got no request."""
    if coverage.level == "off" or results.aggregate.requests == 0:
        return [], []  # a run without any request already fails, as a whole
    expected, notes = expected_endpoints(results)
    idle = [name for name in expected if _requests(results, name) == 0]
    idle += [name for name, row in results.endpoints.items() if row.requests == 0 and name not in idle]
    findings = [
        Finding(
            level=coverage.level,
            scope=name,
            kind="run",
            metric="requests",
            rule="every endpoint the run was meant to exercise gets requests",
            observed="not exercised: 0 requests",
            reason=coverage.reason,
            value=0,
            source="coverage.level",
        )
        for name in idle
    ]
    return findings, notes


def check_limits(stats: EndpointStats, limits: Mapping[str, Limit]) -> tuple[list[Finding], list[str]]:
    """Broken limits of one row, and the limited metrics the row has no value for."""
    findings, unchecked = [], []
    for limit in limits.values():
        metric = LIMIT_METRICS.get(limit.metric, limit.metric)
        observed = stats.value(metric)
        if observed is None:
            unchecked.append(limit.metric)
        elif stats.requests and limit.is_broken_by(observed):
            findings.append(_broken(stats.name, metric, observed, limit))
    return findings, unchecked


def _requests(results: Results, name: str) -> int:
    row = results.endpoints.get(name)
    return row.requests if row else 0


def describe_limit(limit: Limit) -> str:
    """``p95 ≤ 500 ms``, ``requests/s ≥ 1.00 req/s``."""
    metric = LIMIT_METRICS.get(limit.metric, limit.metric)
    sign = "≥" if limit.is_floor else "≤"
    return f"{METRIC_LABELS[metric]} {sign} {format_value(metric, limit.value)}"


def _broken(scope: str, metric: str, observed: float, limit: Limit) -> Finding:
    return Finding(
        level="fail",
        scope=scope,
        kind="limit",
        metric=metric,
        rule=describe_limit(limit),
        observed=format_value(metric, observed),
        reason=limit.reason,
        value=observed,
        limit=limit.value,
        source=limit.source,
    )
