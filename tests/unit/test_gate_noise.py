"""The noise-aware decision on synthetic histories: flat, drifting, bimodal, too short; and monotonic."""

import math
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.bundle import AGGREGATE, PERCENTILES, EndpointStats, Results, histogram_percentile
from loadtest.gate.history import History, HistoryRun
from loadtest.gate.noise import (
    Band,
    HistoryDecision,
    band_for,
    bucket_width,
    count_tests,
    judgeable,
    run_to_run_variance,
    sampling_variance,
    z_for,
)
from loadtest.gate.thresholds import HistoryRule, RegressionRule, RegressionRules, Tolerance

NAME = "GET /api/dashboard/"
SIGMA = math.log(2.5) / 1.6448536269514722
"""Lognormal with p95 = 2.5 x median: the calibration's latency."""
RULE = HistoryRule(
    min_runs=3,
    keep=20,
    center_runs=10,
    levels={"warn": (0.05, Tolerance(0.05, 2)), "fail": (0.05, Tolerance(0.10, 5))},
    reason="history",
)
RULES = RegressionRules(
    min_requests=20,
    latency=RegressionRule(
        kind="latency", warn=Tolerance(0.15, 5), fail=Tolerance(0.30, 10), metrics=("p50", "p95", "p99")
    ),
)
TESTS = 42
"""14 rows x 3 metrics, as in a smoke run."""


def locust_bucket(ms: float) -> float:
    """Locust's rounding of a response time into its histogram."""
    if ms < 100:
        return float(round(ms))
    if ms < 1000:
        return float(round(ms, -1))
    return float(round(ms, -2))


def measured_row(rng: random.Random, *, median: float = 50.0, requests: int = 800) -> EndpointStats:
    """One run's row: ``requests`` lognormal response times, bucketed as Locust does."""
    histogram: dict[float, int] = {}
    total = 0.0
    for _ in range(requests):
        ms = median * math.exp(rng.gauss(0, SIGMA))
        total += ms
        bucket = locust_bucket(ms)
        histogram[bucket] = histogram.get(bucket, 0) + 1
    latency = {metric: histogram_percentile(histogram, requests, f) for metric, f in PERCENTILES.items()}
    latency["avg"] = total / requests
    return EndpointStats(
        name=NAME, requests=requests, failures=0, rps=requests / 120, latency=latency, histogram=histogram
    )


def history_of(rows: list[EndpointStats]) -> History:
    return History(runs=tuple(HistoryRun(rows={NAME: row}) for row in rows))


def flags(history: History, current: EndpointStats) -> dict[str, str]:
    decision = HistoryDecision(history, RULE, tests=TESTS)
    return {f.metric: f.level for f in decision(current, history.runs[-1].rows[NAME], RULES)}


@pytest.fixture
def rng():
    return random.Random(6)


def test_a_flat_history_passes_unchanged_runs_and_fails_a_slowed_one(rng):
    history = history_of([measured_row(rng) for _ in range(20)])

    unchanged = [flags(history, measured_row(rng)) for _ in range(20)]
    slowed = flags(history, measured_row(rng, median=50 * 1.3))

    assert sum(bool(found) for found in unchanged) <= 1
    assert slowed.get("p50") == "fail"


def test_a_slow_drift_moves_the_band_with_the_recent_runs(rng):
    """The band follows the default branch: a run that continues a slow drift (1% a run, 20% over
    the history) is not a regression; the centre is the median of the last 10 runs, not of all 20."""
    drifting = [measured_row(rng, median=50 * 1.01**run) for run in range(20)]
    history = history_of(drifting)
    next_in_line = measured_row(rng, median=50 * 1.01**20)
    jump = measured_row(rng, median=50 * 1.01**20 * 1.3)
    band = band_for(next_in_line, "p50", [run.rows[NAME] for run in history.runs], center_runs=10)

    assert flags(history, next_in_line) == {}
    assert flags(history, jump).get("p50") == "fail"
    assert band.center >= 50 * 1.01**13


def test_a_bimodal_history_widens_the_band_so_either_mode_passes(rng):
    """Runs that alternate between two runner types (one 25% slower) must not fail on the slow type."""
    modes = [measured_row(rng, median=50 * (1.25 if run % 2 else 1.0)) for run in range(20)]
    history = history_of(modes)
    flat = history_of([measured_row(rng) for _ in range(20)])
    slow_mode = measured_row(rng, median=50 * 1.25)

    assert flags(history, slow_mode) == {}
    assert flags(flat, slow_mode).get("p50") == "fail"


def test_a_history_shorter_than_min_runs_falls_back_to_the_fixed_tolerances(rng):
    history = history_of([measured_row(rng) for _ in range(2)])
    decision = HistoryDecision(history, RULE, tests=TESTS)

    found = decision(measured_row(rng, median=100), history.runs[-1].rows[NAME], RULES)

    assert decision.fallback_rows == [NAME]
    assert {f.source for f in found} >= {"regression.latency.fail"}


def test_history_runs_with_too_few_requests_do_not_count(rng):
    history = history_of([measured_row(rng, requests=10) for _ in range(10)])
    decision = HistoryDecision(history, RULE, tests=TESTS)

    decision(measured_row(rng), history.runs[-1].rows[NAME], RULES)

    assert decision.fallback_rows == [NAME]


def test_a_tiny_absolute_change_never_fires_however_sure():
    """2 ms becoming 3 ms is +50% and far outside a zero-spread band, but under the 5 ms minimum."""
    still = EndpointStats(
        name=NAME, requests=5000, failures=0, rps=40, latency={"p50": 2.0}, histogram={2.0: 5000}
    )
    slower = EndpointStats(
        name=NAME, requests=5000, failures=0, rps=40, latency={"p50": 3.0}, histogram={3.0: 5000}
    )
    history = history_of([still] * 10)

    assert flags(history, slower) == {}


def test_the_finding_shows_the_band_and_where_the_run_falls(rng):
    history = history_of([measured_row(rng) for _ in range(20)])
    decision = HistoryDecision(history, RULE, tests=TESTS)

    (finding,) = [
        f
        for f in decision(measured_row(rng, median=80), history.runs[-1].rows[NAME], RULES)
        if f.metric == "p50"
    ]

    assert finding.level == "fail"
    assert finding.observed.startswith(f"{finding.value:.0f} ms, band ")
    assert "(20 runs, median 50 ms; +" in finding.observed
    assert finding.baseline < finding.limit < finding.value


def test_more_requests_mean_less_sampling_noise(rng):
    few, many = measured_row(rng, requests=100), measured_row(rng, requests=5000)

    assert sampling_variance(many, "p95") < sampling_variance(few, "p95")
    assert sampling_variance(many, "avg") < sampling_variance(few, "avg")


def test_a_row_read_from_the_csv_has_no_sampling_noise_to_add():
    row = EndpointStats(name=NAME, requests=100, failures=0, rps=1, latency={"p95": 120.0})

    assert sampling_variance(row, "p95") == 0.0


@pytest.mark.parametrize(("ms", "width"), [(0.0, 1), (99.0, 1), (100.0, 10), (990.0, 10), (1000.0, 100)])
def test_bucket_width_follows_locusts_rounding(ms, width):
    assert bucket_width(ms) == width


def test_more_tests_per_run_need_a_wider_band():
    assert z_for(0.05, 1) == pytest.approx(1.645, abs=1e-3)
    assert z_for(0.05, 42) == pytest.approx(3.04, abs=1e-2)
    assert z_for(0.05, 84) > z_for(0.05, 42)


@settings(max_examples=200, deadline=None)
@given(
    center=st.floats(1, 5000),
    sd_log=st.floats(0, 2),
    low=st.floats(0.1, 10_000),
    high=st.floats(0.1, 10_000),
)
def test_a_slower_run_never_gets_a_better_level(center, sd_log, low, high):
    decision = HistoryDecision(History(), RULE, tests=TESTS)
    low, high = sorted((low, high))
    levels = [
        decision.level_of(Band(metric="p95", runs=10, center=center, sd_log=sd_log, current=value))
        for value in (low, high)
    ]
    rank = {None: 0, "warn": 1, "fail": 2}

    assert rank[levels[0]] <= rank[levels[1]]


def test_a_percentile_needs_ten_requests_beyond_it_to_be_judged(rng):
    assert judgeable(measured_row(rng, requests=1000), "p99")
    assert not judgeable(measured_row(rng, requests=999), "p99")
    assert judgeable(measured_row(rng, requests=200), "p95")
    assert judgeable(measured_row(rng, requests=5), "avg")


def test_the_tests_of_a_run_count_only_rows_and_metrics_that_are_judged(rng):
    big, small = measured_row(rng, requests=1000), measured_row(rng, requests=100)
    rows = {"GET /big/": replace(big, name="GET /big/"), "GET /small/": replace(small, name="GET /small/")}
    current = Results(
        source=Path("run"),
        facts=None,
        aggregate=replace(big, name=AGGREGATE, requests=1100),
        endpoints=rows,
        failures=(),
        percentiles_from="histograms",
    )

    # aggregate and big: p50, p95, p99; small: p50 only (5 requests beyond p95); no throughput rule
    assert count_tests(current, current, RULES) == 3 + 3 + 1


def test_consecutive_differences_measure_noise_not_drift():
    steady_drift = [math.log(50 * 1.01**run) for run in range(20)]
    alternating = [math.log(50 * (1.25 if run % 2 else 1.0)) for run in range(20)]

    assert run_to_run_variance(steady_drift) == pytest.approx(math.log(1.01) ** 2 / 2)
    assert run_to_run_variance(alternating) > 10 * run_to_run_variance(steady_drift)


def test_throughput_is_judged_against_its_band_and_the_fixed_tolerance(rng):
    rules = replace(
        RULES, throughput=RegressionRule(kind="throughput", warn=Tolerance(0.15, 0.5), fail=Tolerance(0.3, 1))
    )
    runs = [replace(measured_row(rng), name=AGGREGATE) for _ in range(20)]
    history = History(runs=tuple(HistoryRun(rows={AGGREGATE: run}) for run in runs))
    decision = HistoryDecision(history, RULE, tests=TESTS)
    now = replace(measured_row(rng), name=AGGREGATE)

    noisy = decision(replace(now, rps=now.rps * 0.93), history.runs[-1].rows[AGGREGATE], rules)
    halved = decision(replace(now, rps=now.rps / 2), history.runs[-1].rows[AGGREGATE], rules)
    endpoint_history = history_of([measured_row(rng) for _ in range(20)])
    endpoint = measured_row(rng)
    one_endpoint = HistoryDecision(endpoint_history, RULE, tests=TESTS)(
        replace(endpoint, rps=endpoint.rps / 2), endpoint_history.runs[-1].rows[NAME], rules
    )

    assert [f for f in noisy if f.metric == "rps"] == []
    assert [(f.level, f.source) for f in halved if f.metric == "rps"] == [
        ("fail", "regression.history.throughput.fail")
    ]
    assert [f for f in one_endpoint if f.metric == "rps"] == [], (
        "an endpoint's throughput is not judged alone"
    )
