"""Absolute limits: every endpoint and the aggregate against the limits thresholds.json sets for them."""

from __future__ import annotations

from collections.abc import Mapping
from statistics import NormalDist

from loadtest.bundle import PERCENTILES, EndpointStats, Results, split_side_row
from loadtest.gate.findings import (
    Finding,
    limit_broken,
    limit_not_checked,
    limit_uncertain,
    not_exercised,
    run_without_requests,
    server_ended,
    stopped_early,
)
from loadtest.gate.stats import (
    SampleInterval,
    percentile_interval,
    percentile_requests_needed,
    rate_interval,
    rate_requests_needed,
    ratio_requests_needed,
    wilson_interval,
)
from loadtest.gate.thresholds import Coverage, Limit, LimitSampling, Rules
from loadtest.gate.units import LIMIT_METRICS


def check_run(results: Results, rules: Rules) -> tuple[list[Finding], list[str]]:
    """Findings for every broken limit and every limit a row with requests has no number for (a
    warning: never a silent pass), and notes."""
    findings = check_server(results) + check_stopped(results) + check_activity(results)
    coverage, notes = check_coverage(results, rules.coverage)
    findings += coverage
    for stats in (results.aggregate, *results.endpoints.values()):
        # A side-tagged row (a run with a base) gets its endpoint's limits.
        limits = rules.endpoint_limits(_endpoint_of(stats.name))
        found, unchecked = check_limits(stats, limits, rules.sampling)
        findings += found
        if stats.requests:
            findings += [
                limit_not_checked(stats.name, LIMIT_METRICS.get(limit.metric, limit.metric), limit)
                for limit in unchecked
            ]
    return findings, notes


def check_stopped(results: Results) -> list[Finding]:
    """A run a stop condition ended early (run.json's ``stopped_by``) fails, whatever its figures say."""
    facts = results.facts
    if facts is None or not facts.stopped_by:
        return []
    return [stopped_early(facts.stopped_by, facts.stopped_at_s, facts.run_time_s)]


def check_server(results: Results) -> list[Finding]:
    """A run whose started API, the head's or the base's, ended before the load did (run.json's
    ``server_exit``, ``base_server_exit``) fails."""
    facts = results.facts
    if facts is None:
        return []
    findings = []
    if facts.server_exit:
        findings.append(server_ended(facts.server_exit, facts.server_exited_at_s, facts.run_time_s))
    if facts.base_server_exit:
        ending = (facts.base_server_exit, facts.base_server_exited_at_s, facts.run_time_s)
        findings.append(server_ended(*ending, side="base"))
    return findings


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


def check_limits(
    stats: EndpointStats, limits: Mapping[str, Limit], sampling: LimitSampling | None = None
) -> tuple[list[Finding], list[Limit]]:
    """Broken limits of one row, and the limits the row has no value for. A limit judged
    by its interval (``sampling``) fails only when the interval is beyond it; a figure beyond it
    whose interval is not warns, with the requests a firm answer would need."""
    sampling = sampling or LimitSampling()
    findings, unchecked = [], []
    for limit in limits.values():
        metric = LIMIT_METRICS.get(limit.metric, limit.metric)
        observed = stats.value(metric)
        if observed is None:
            unchecked.append(limit)
        elif stats.requests and limit.is_broken_by(observed):
            found = sample_interval(stats, metric, limit, sampling)
            if found is None or limit.is_broken_by(found.nearest(floor=limit.is_floor)):
                findings.append(limit_broken(stats.name, metric, observed, limit, found))
            else:
                findings.append(limit_uncertain(stats.name, metric, observed, limit, found, sampling.reason))
    return findings, unchecked


def sample_interval(
    row: EndpointStats, metric: str, limit: Limit, sampling: LimitSampling
) -> SampleInterval | None:
    """The interval of ``metric`` on ``row`` when ``limit`` is judged by one; None: by the figure."""
    if sampling.sample_of(limit) != "interval":
        return None
    z = NormalDist().inv_cdf(0.5 + sampling.confidence / 2)
    if metric in PERCENTILES and row.histogram:
        low, high = percentile_interval(row.histogram, PERCENTILES[metric], z)
        needed = percentile_requests_needed(row.histogram, PERCENTILES[metric], limit.value, z)
    elif metric == "failure_ratio":
        low, high = wilson_interval(row.failures, row.requests, z)
        needed = ratio_requests_needed(row.failure_ratio, limit.value, z)
    elif metric == "rps" and row.rps is not None:
        low, high = rate_interval(row.rps, row.requests, z)
        needed = rate_requests_needed(row.rps, limit.value, z)
    else:
        return None  # a percentile read from the stats CSV alone has no histogram to bound it
    return SampleInterval(low, high, sampling.confidence, row.requests, needed)


def _requests(results: Results, name: str) -> int:
    """The endpoint's requests; in a run of a base against a head, those of its side-tagged rows."""
    return sum(row.requests for row_name, row in results.endpoints.items() if _endpoint_of(row_name) == name)


def _endpoint_of(row_name: str) -> str:
    split = split_side_row(row_name)
    return row_name if split is None else split[0]
