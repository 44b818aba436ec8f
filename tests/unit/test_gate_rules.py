"""Absolute limits and regression decisions: what fires, at which level, and that worse never looks better."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtest.bundle import AGGREGATE, EndpointStats, Results, RunFacts
from loadtest.gate.findings import rank, verdict_of
from loadtest.gate.regression import compare_with_baseline, tolerance_decision
from loadtest.gate.rules import check_limits, check_run, check_server
from loadtest.gate.thresholds import Limit, RegressionRule, RegressionRules, Thresholds, Tolerance

LATENCY = RegressionRule(
    kind="latency",
    warn=Tolerance(relative=0.15, absolute=5),
    fail=Tolerance(relative=0.30, absolute=10),
    metrics=("p95",),
    reason="noise",
)
ONLY_LATENCY = RegressionRules(latency=LATENCY)
ALL_KINDS = RegressionRules(
    latency=LATENCY,
    throughput=RegressionRule(kind="throughput", warn=Tolerance(0.15, 0.5), fail=Tolerance(0.30, 1.0)),
    failure_ratio=RegressionRule(kind="failure_ratio", warn=Tolerance(0, 0.005), fail=Tolerance(0, 0.02)),
)


def row(name="GET /a", *, requests=200, failures=0, rps=10.0, p95=100.0) -> EndpointStats:
    return EndpointStats(name=name, requests=requests, failures=failures, rps=rps, latency={"p95": p95})


def results(
    *rows: EndpointStats, facts: RunFacts | None = None, aggregate: EndpointStats | None = None
) -> Results:
    total = aggregate or row(
        AGGREGATE, requests=sum(r.requests for r in rows), failures=sum(r.failures for r in rows)
    )
    return Results(
        source=Path("run"),
        facts=facts,
        aggregate=total,
        endpoints={r.name: r for r in rows},
        failures=(),
        percentiles_from="csv",
    )


def levels(findings) -> list[tuple[str, str | None, str]]:
    return [(f.level, f.metric, f.scope) for f in findings]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (2.0, 3.0, None),  # +50% but only +1 ms: jitter, not a regression
        (100.0, 104.0, None),  # +4%: within both tolerances
        (100.0, 116.0, "warn"),  # +16% and +16 ms
        (20.0, 26.0, "warn"),  # +30% exactly and +6 ms: fail needs over 30%
        (100.0, 131.0, "fail"),  # +31% and +31 ms
        (200.0, 215.0, None),  # +15 ms but only +7.5%
        (0.0, 12.0, "fail"),  # from nothing to 12 ms: unbounded relative, +12 ms
    ],
)
def test_a_latency_regression_needs_both_the_relative_and_the_absolute_change(before, after, expected):
    findings = tolerance_decision(row(p95=after), row(p95=before), ONLY_LATENCY)

    assert [f.level for f in findings] == ([expected] if expected else [])


def test_throughput_drops_and_failure_rises_are_regressions():
    now = row(AGGREGATE, rps=6.0, failures=6)
    then = row(AGGREGATE, rps=10.0, failures=0)

    assert levels(tolerance_decision(now, then, ALL_KINDS)) == [
        ("fail", "rps", AGGREGATE),
        ("fail", "failure_ratio", AGGREGATE),
    ]


def test_an_endpoints_throughput_is_not_judged_alone():
    """With fixed users and waits, one slow endpoint lowers every endpoint's requests/s: only the
    run's throughput is a regression, or the gate would blame the endpoints that did not change."""
    now = row(rps=6.0, failures=6)
    then = row(rps=10.0, failures=0)

    assert levels(tolerance_decision(now, then, ALL_KINDS)) == [("fail", "failure_ratio", "GET /a")]


@pytest.mark.parametrize(
    ("limit", "value", "broken"),
    [
        (Limit("p95", 500), 500.0, False),
        (Limit("p95", 500), 501.0, True),
        (Limit("min_rps", 1.0), 0.99, True),
        (Limit("min_rps", 1.0), 1.0, False),
        (Limit("min_requests", 20), 19, True),
    ],
)
def test_upper_and_lower_limits(limit, value, broken):
    stats = EndpointStats(
        name="GET /a",
        requests=19 if limit.metric == "min_requests" else 100,
        failures=0,
        rps=value,
        latency={"p95": value},
    )

    findings, _ = check_limits(stats, {limit.metric: limit})

    assert bool(findings) is broken


def test_a_limit_on_a_metric_the_results_lack_is_a_warning_naming_it_not_a_pass():
    thresholds = Thresholds(source=Path("t.json"), document={"defaults": {"endpoint": {"p75": 10}}})

    run = results(row(), facts=RunFacts(endpoints=("GET /a",)))
    findings, notes = check_run(run, thresholds.rules_for(preset=None, target=None))

    assert levels(findings) == [("warn", "p75", "GET /a")] and notes == []
    assert findings[0].rule == "p75 ≤ 10 ms" and "N/A" in findings[0].observed


def test_a_csv_bundle_with_no_percentiles_or_rate_warns_for_each_limit_it_cannot_check(tmp_path):
    """Why point 7: N/A p95/p99 on an endpoint with 210 requests, N/A requests/s against min_rps."""
    from loadtest.bundle import read_stats_csv

    csv = tmp_path / "locust_stats.csv"
    header = (
        "Type,Name,Request Count,Failure Count,Average Response Time,Max Response Time,Requests/s,95%,99%"
    )
    csv.write_text(f"{header}\nGET,/a,210,0,12,40,N/A,N/A,N/A\n,Aggregated,210,0,12,40,N/A,N/A,N/A\n")
    endpoints, aggregate = read_stats_csv(csv)
    document = {"defaults": {"endpoint": {"p95": 500, "p99": 900}}, "endpoints": {"GET /a": {"min_rps": 1}}}
    rules = Thresholds(source=Path("t.json"), document=document).rules_for(preset=None, target=None)

    findings, _ = check_run(results(*endpoints.values(), aggregate=aggregate), rules)

    assert ("warn", "p95", "GET /a") in levels(findings) and ("warn", "p99", "GET /a") in levels(findings)
    assert ("warn", "rps", "GET /a") in levels(findings) and verdict_of(findings) == "warn"


def test_a_run_without_requests_fails():
    empty = results(aggregate=row(AGGREGATE, requests=0, rps=0.0, p95=None))

    findings, _ = check_run(
        empty, Thresholds(source=Path("t.json"), document={}).rules_for(preset=None, target=None)
    )

    assert levels(findings) == [("fail", "requests", AGGREGATE)]


@pytest.mark.parametrize(
    ("ended", "rule", "observed"),
    [
        ({"server_exit": "killed by SIGKILL"}, "the API", "lost its API server after 12 s of 60 s: killed"),
        (
            {"base_server_exit": "exit status 7"},
            "the base's API",
            "lost the base's API server after 12 s of 60 s",
        ),
    ],
    ids=["head", "base"],
)
def test_a_started_api_that_ended_during_the_run_fails_it_naming_its_side(ended, rule, observed):
    at = {f"{key.removesuffix('exit')}exited_at_s": 12.0 for key in ended}
    run = results(facts=RunFacts(run_time_s=60.0, **ended, **at))

    findings = check_server(run)

    [finding] = findings
    assert (finding.level, finding.rule) == ("fail", f"{rule} started on the runner serves the whole run")
    assert finding.observed.startswith(observed)


def test_a_baseline_with_other_settings_is_skipped_with_a_warning():
    now = results(row(p95=900), facts=RunFacts(preset="smoke", users=10, run_time_s=60.0))
    then = results(row(p95=100), facts=RunFacts(preset="smoke", users=50, run_time_s=300.0))

    comparison = compare_with_baseline(now, then, ALL_KINDS, preset="smoke")

    assert comparison.status == "skipped"
    assert [(f.level, f.observed) for f in comparison.findings] == [
        ("warn", "users 10 here, 50 in the baseline; run length 60 s here, 5 min in the baseline")
    ]


def test_a_side_without_settings_is_compared_and_the_summary_says_unchecked():
    now = results(row(p95=900))
    then = results(row(p95=100), facts=RunFacts(preset="smoke", users=10))

    comparison = compare_with_baseline(now, then, ONLY_LATENCY, preset=None)

    assert comparison.status == "compared"
    assert levels(comparison.findings) == [("fail", "p95", "GET /a")]
    assert comparison.notes == [
        "No recorded settings for this run (a plain Locust run has no run.json): "
        "compared without checking that preset, users and run length match."
    ]


def test_new_and_missing_endpoints_are_listed_and_thin_ones_skipped():
    now = results(row("GET /kept"), row("GET /new"), row("GET /thin", requests=5))
    then = results(row("GET /kept"), row("GET /gone"), row("GET /thin", requests=5))

    comparison = compare_with_baseline(
        now, then, RegressionRules(min_requests=20, latency=LATENCY), preset=None
    )

    assert comparison.new_endpoints == ["GET /new"] and comparison.missing_endpoints == ["GET /gone"]
    assert levels(comparison.findings) == [("warn", "requests", "GET /gone")]
    assert "`GET /thin`" in comparison.notes[-1] and "fewer than 20 requests" in comparison.notes[-1]


def test_the_regression_decision_can_be_replaced():
    def always_warn(current, baseline, rules):
        return tolerance_decision(row(current.name, p95=1000.0), baseline, rules)[:1]

    comparison = compare_with_baseline(
        results(row()), results(row()), ONLY_LATENCY, preset=None, decide=always_warn
    )

    assert levels(comparison.findings) == [("fail", "p95", AGGREGATE), ("fail", "p95", "GET /a")]


LATENCIES = st.floats(0, 10_000, allow_nan=False)
TOLERANCES = st.builds(Tolerance, st.floats(0, 2), st.floats(0, 100))


@given(LATENCIES, LATENCIES, st.floats(0, 5_000), TOLERANCES, TOLERANCES)
def test_a_slower_run_never_gets_a_better_regression_verdict(baseline, current, extra, warn, fail):
    rules = RegressionRules(latency=RegressionRule(kind="latency", warn=warn, fail=fail, metrics=("p95",)))

    verdict = verdict_of(tolerance_decision(row(p95=current), row(p95=baseline), rules))
    worse = verdict_of(tolerance_decision(row(p95=current + extra), row(p95=baseline), rules))

    assert rank(worse) >= rank(verdict)


@given(LATENCIES, st.floats(0, 5_000), st.floats(0, 10_000))
def test_a_slower_run_never_gets_a_better_limit_verdict(value, extra, limit):
    before, _ = check_limits(row(p95=value), {"p95": Limit("p95", limit)})
    after, _ = check_limits(row(p95=value + extra), {"p95": Limit("p95", limit)})

    assert rank(verdict_of(after)) >= rank(verdict_of(before))


@given(st.floats(0.01, 10_000), st.floats(0, 3), st.floats(0, 100), st.floats(0, 1), st.floats(0, 200))
def test_latency_fires_only_when_both_parts_are_exceeded(baseline, relative, absolute, growth, added_ms):
    current = baseline * (1 + growth) + added_ms
    rules = RegressionRules(
        latency=RegressionRule(
            kind="latency", warn=None, fail=Tolerance(relative, absolute), metrics=("p95",)
        )
    )

    fired = bool(tolerance_decision(row(p95=current), row(p95=baseline), rules))

    change = current - baseline
    assert fired == (change / baseline > relative and change > absolute)
