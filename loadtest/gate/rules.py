"""Absolute limits: every endpoint and the aggregate against the limits thresholds.json sets for them."""

from __future__ import annotations

from collections.abc import Mapping

from loadtest.bundle import EndpointStats, Results, split_side_row
from loadtest.gate.findings import (
    Finding,
    limit_broken,
    not_exercised,
    run_without_requests,
    server_ended,
    stopped_early,
)
from loadtest.gate.thresholds import Coverage, Limit, Rules
from loadtest.gate.units import LIMIT_METRICS
from loadtest.untrusted import code_span


def check_run(results: Results, rules: Rules) -> tuple[list[Finding], list[str]]:
    """Findings for every broken limit, and notes on limits that could not be checked."""
    findings = check_server(results) + check_stopped(results) + check_activity(results)
    coverage, notes = check_coverage(results, rules.coverage)
    findings += coverage
    for stats in (results.aggregate, *results.endpoints.values()):
        # A side-tagged row (a run with a base) gets its endpoint's limits.
        found, unchecked = check_limits(stats, rules.endpoint_limits(_endpoint_of(stats.name)))
        findings += found
        if unchecked and stats.requests:
            metrics = ", ".join(unchecked)
            notes.append(f"{code_span(stats.name)}: {metrics} not recorded in the results, so not checked.")
    return findings, notes


def check_stopped(results: Results) -> list[Finding]:
    """A run a stop condition ended early (run.json's ``stopped_by``) fails, whatever its figures say."""
    facts = results.facts
    if facts is None or not facts.stopped_by:
        return []
    return [stopped_early(facts.stopped_by, facts.stopped_at_s, facts.run_time_s)]


def check_server(results: Results) -> list[Finding]:
    """A run whose started API ended before the load did (run.json's ``server_exit``) fails."""
    facts = results.facts
    if facts is None or not facts.server_exit:
        return []
    return [server_ended(facts.server_exit, facts.server_exited_at_s, facts.run_time_s)]


def check_activity(results: Results) -> list[Finding]:
    """A run without requests tested nothing."""
    return [run_without_requests()] if results.aggregate.requests == 0 else []


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
    return [not_exercised(name, coverage) for name in idle], notes


def check_limits(stats: EndpointStats, limits: Mapping[str, Limit]) -> tuple[list[Finding], list[str]]:
    """Broken limits of one row, and the limited metrics the row has no value for."""
    findings, unchecked = [], []
    for limit in limits.values():
        metric = LIMIT_METRICS.get(limit.metric, limit.metric)
        observed = stats.value(metric)
        if observed is None:
            unchecked.append(limit.metric)
        elif stats.requests and limit.is_broken_by(observed):
            findings.append(limit_broken(stats.name, metric, observed, limit))
    return findings, unchecked


def _requests(results: Results, name: str) -> int:
    """The endpoint's requests; in a run of a base against a head, those of its side-tagged rows."""
    return sum(row.requests for row_name, row in results.endpoints.items() if _endpoint_of(row_name) == name)


def _endpoint_of(row_name: str) -> str:
    split = split_side_row(row_name)
    return row_name if split is None else split[0]
