"""One constructor per kind of finding: the exact rule and observation each one words."""

import pytest

from loadtest.bundle import AGGREGATE
from loadtest.gate.findings import RUN, describe_limit, limit_broken, not_exercised, run_without_requests
from loadtest.gate.regression_findings import (
    baseline_mismatch,
    failure_ratio_regression,
    latency_out_of_band,
    latency_regression,
    missing_from_run,
    throughput_out_of_band,
    throughput_regression,
)
from loadtest.gate.thresholds import Coverage, Limit, Tolerance

ENDPOINT = "GET /api/dashboard/"


@pytest.mark.parametrize(
    ("finding", "where", "rule", "observed"),
    [
        (run_without_requests(), ("fail", AGGREGATE, "run"), "at least 1 request", "0 requests"),
        (
            not_exercised(ENDPOINT, Coverage(level="fail")),
            ("fail", ENDPOINT, "run"),
            "every endpoint the run was meant to exercise gets requests",
            "not exercised: 0 requests",
        ),
        (
            limit_broken(ENDPOINT, "p95", 812.0, Limit("p95", 500)),
            ("fail", ENDPOINT, "limit"),
            "p95 ≤ 500 ms",
            "812 ms",
        ),
        (
            limit_broken(AGGREGATE, "rps", 0.5, Limit("min_rps", 1.0)),
            ("fail", AGGREGATE, "limit"),
            "requests/s ≥ 1.00 req/s",
            "0.50 req/s",
        ),
        (
            latency_regression(
                "warn",
                ENDPOINT,
                metric="p95",
                current=118,
                baseline=100,
                tolerance=Tolerance(0.15, 5),
                reason="",
            ),
            ("warn", ENDPOINT, "regression"),
            "p95 slower by over 15% and 5 ms",
            "100 ms → 118 ms (+18%, +18 ms)",
        ),
        (
            throughput_regression(
                "fail", AGGREGATE, current=7.5, baseline=10.0, tolerance=Tolerance(0.2, 1.0), reason=""
            ),
            ("fail", AGGREGATE, "regression"),
            "requests/s lower by over 20% and 1.00 req/s",
            "10.0 → 7.50 req/s (-25%)",
        ),
        (
            failure_ratio_regression(
                "fail", ENDPOINT, current=0.03, baseline=0.01, tolerance=Tolerance(0, 0.02), reason=""
            ),
            ("fail", ENDPOINT, "regression"),
            "failure ratio higher by over 2 pp",
            "1.00% → 3.00% (+2.00 pp)",
        ),
        (
            failure_ratio_regression(
                "warn", ENDPOINT, current=0.0, baseline=0.0, tolerance=Tolerance(0.5, 0.005), reason=""
            ),
            ("warn", ENDPOINT, "regression"),
            "failure ratio higher by over 0.5 pp and 50%",
            "0.00% → 0.00% (±0 pp)",
        ),
        (
            latency_out_of_band(
                "fail",
                ENDPOINT,
                "p95",
                current=160,
                center=100,
                runs=8,
                edges=(80.0, 125.0),
                false_alarm_rate=0.03,
                effect=Tolerance(0.2, 10),
                reason="",
            ),
            ("fail", ENDPOINT, "regression"),
            "p95 within the band of its history (3% false alarms per run), or slower by under 20% and 10 ms",
            "160 ms, band 80–125 ms (8 runs, median 100 ms; +60%, +60 ms)",
        ),
        (
            throughput_out_of_band(
                "warn",
                AGGREGATE,
                current=6.0,
                center=10.0,
                runs=8,
                edges=(8.0, 12.5),
                false_alarm_rate=0.05,
                tolerance=Tolerance(0.15, 0.5),
                reason="",
            ),
            ("warn", AGGREGATE, "regression"),
            "requests/s within the band of its history (5% false alarms per run), "
            "or lower by under 15% and 0.50 req/s",
            "6.00 req/s, band 8.00–12.5 req/s (8 runs, median 10.0 req/s; -40%)",
        ),
        (
            baseline_mismatch(["users 10 here, 50 in the baseline", "target `sandbox` here, `external`"]),
            ("warn", RUN, "baseline"),
            "the baseline must have the same preset, users, run length and target",
            "users 10 here, 50 in the baseline; target `sandbox` here, `external`",
        ),
        (
            missing_from_run(ENDPOINT),
            ("warn", ENDPOINT, "baseline"),
            "every endpoint of the baseline is exercised",
            "in the baseline, missing from this run",
        ),
    ],
    ids=[
        "no-requests",
        "not-exercised",
        "limit",
        "floor",
        "latency",
        "throughput",
        "failure-ratio",
        "failure-ratio-relative",
        "latency-band",
        "throughput-band",
        "baseline-mismatch",
        "missing-from-run",
    ],
)
def test_each_kind_of_finding_is_worded_once(finding, where, rule, observed):
    assert (finding.level, finding.scope, finding.kind) == where
    assert (finding.rule, finding.observed) == (rule, observed)


def test_a_broken_limit_keeps_its_numbers_and_where_it_was_set():
    limit = Limit("p95", 500, reason="users wait", source="defaults.endpoint.p95")
    finding = limit_broken(ENDPOINT, "p95", 812.0, limit)
    assert (finding.value, finding.limit, finding.source, finding.reason) == (
        812.0,
        500,
        "defaults.endpoint.p95",
        "users wait",
    )


def test_a_band_finding_keeps_the_edge_it_crossed():
    slower = latency_out_of_band(
        "warn",
        ENDPOINT,
        "p99",
        current=160,
        center=100,
        runs=8,
        edges=(80.0, 125.0),
        false_alarm_rate=0.05,
        effect=Tolerance(0.2, 10),
        reason="",
    )
    assert (slower.baseline, slower.limit, slower.source) == (100, 125.0, "regression.history.warn")


@pytest.mark.parametrize(
    ("limit", "text"),
    [
        (Limit("p95", 500), "p95 ≤ 500 ms"),
        (Limit("p99", 1500), "p99 ≤ 1,500 ms"),
        (Limit("failure_ratio", 0.01), "failure ratio ≤ 1.00%"),
        (Limit("min_requests", 30), "requests ≥ 30"),
    ],
)
def test_describe_limit(limit, text):
    assert describe_limit(limit) == text
