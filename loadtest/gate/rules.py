"""Absolute limits: every endpoint and the aggregate against the limits thresholds.json sets for them."""

from __future__ import annotations

from collections.abc import Mapping

from loadtest.bundle import AGGREGATE, EndpointStats, Results
from loadtest.gate.findings import Finding
from loadtest.gate.thresholds import Limit, Rules
from loadtest.gate.units import LIMIT_METRICS, METRIC_LABELS, format_value


def check_run(results: Results, rules: Rules) -> tuple[list[Finding], list[str]]:
    """Findings for every broken limit, and notes on limits that could not be checked."""
    findings = list(check_activity(results))
    notes: list[str] = []
    for stats in (results.aggregate, *results.endpoints.values()):
        found, unchecked = check_limits(stats, rules.endpoint_limits(stats.name))
        findings += found
        if unchecked and stats.requests:
            metrics = ", ".join(unchecked)
            notes.append(f"`{stats.name}`: {metrics} not recorded in the results, so not checked.")
    return findings, notes


def check_activity(results: Results) -> list[Finding]:
    """A run without requests tested nothing; an endpoint listed without requests is suspicious."""
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
    return [
        Finding(
            level="warn",
            scope=stats.name,
            kind="run",
            metric="requests",
            rule="at least 1 request",
            observed="0 requests",
            reason="Locust lists the endpoint but recorded no request for it.",
            value=0,
        )
        for stats in results.endpoints.values()
        if stats.requests == 0
    ]


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
