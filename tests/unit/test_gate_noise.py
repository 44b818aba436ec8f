"""The noise-aware decision on synthetic histories of one endpoint: flat, drifting, bimodal, too short;
and monotonic. (Several endpoints, the run-wide shift and Holm: test_gate_common_mode.py.)"""

import math
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.bundle import AGGREGATE, PERCENTILES, EndpointStats, Results, histogram_percentile
from loadtest.gate.history import History, HistoryRun
from loadtest.gate.history_band import band_test, run_to_run_variance, summarize
from loadtest.gate.noise import HistoryDecision
from loadtest.gate.tails import judgeable
from loadtest.gate.thresholds import HistoryRule, RegressionRule, RegressionRules, Tolerance

NAME = "GET /api/dashboard/"
SIGMA = math.log(2.5) / 1.6448536269514722
"""Lognormal with p95 = 2.5 x median: the calibration's latency."""
RULE = HistoryRule(
    min_runs=3,
    keep=20,
    center_runs=10,
    levels={"warn": (0.05, Tolerance(0.05, 2)), "fail": (0.05, Tolerance(0.10, 5))},
    metrics=("typical", "p95", "p99"),
    reason="history",
)
RULES = RegressionRules(
    min_requests=20,
    latency=RegressionRule(
        kind="latency", warn=Tolerance(0.15, 5), fail=Tolerance(0.30, 10), metrics=("p50", "p95", "p99")
    ),
)


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


def results_of(*rows: EndpointStats, aggregate: EndpointStats | None = None) -> Results:
    """A run of these rows; without ``aggregate``, one too small to be judged."""
    quiet = EndpointStats(name=AGGREGATE, requests=0, failures=0, rps=None)
    return Results(
        source=Path("run"),
        facts=None,
        aggregate=aggregate or quiet,
        endpoints={row.name: row for row in rows},
        failures=(),
        percentiles_from="histograms",
    )


def decision_for(history: History, current: EndpointStats, rules: RegressionRules = RULES) -> HistoryDecision:
    """The decision on a run of ``current`` alone, against the latest run of ``history`` as baseline."""
    latest = results_of(*(row for name, row in history.runs[-1].rows.items() if name != AGGREGATE))
    return HistoryDecision(history, RULE, current=results_of(current), baseline=latest, rules=rules)


def flags(history: History, current: EndpointStats) -> dict[str, str]:
    found = decision_for(history, current)(current, history.runs[-1].rows[NAME], RULES)
    return {f.metric: f.level for f in found}


@pytest.fixture
def rng():
    return random.Random(6)


def test_a_flat_history_passes_unchanged_runs_and_fails_a_slowed_one(rng):
    history = history_of([measured_row(rng) for _ in range(20)])

    unchanged = [flags(history, measured_row(rng)) for _ in range(20)]
    slowed = flags(history, measured_row(rng, median=50 * 1.3))

    assert sum(bool(found) for found in unchanged) <= 1
    assert slowed.get("typical") == "fail"


def test_a_slow_drift_moves_the_band_with_the_recent_runs(rng):
    """The band follows the default branch: a run that continues a slow drift (1% a run, 20% over
    the history) does not fail; the centre is the median of the last 10 runs, not of all 20. (It
    lags the drift by five runs, 5%, which a precise typical time may warn about.)"""
    drifting = [measured_row(rng, median=50 * 1.01**run) for run in range(20)]
    history = history_of(drifting)
    next_in_line = measured_row(rng, median=50 * 1.01**20)
    jump = measured_row(rng, median=50 * 1.01**20 * 1.3)
    band = decision_for(history, next_in_line).bands[NAME]["typical"]

    assert "fail" not in flags(history, next_in_line).values()
    assert flags(history, jump).get("typical") == "fail"
    assert band.center >= 50 * 1.01**13


def test_a_bimodal_history_widens_the_band_so_either_mode_passes(rng):
    """Runs that alternate between two runner types (one 25% slower) must not fail on the slow type."""
    modes = [measured_row(rng, median=50 * (1.25 if run % 2 else 1.0)) for run in range(20)]
    history = history_of(modes)
    flat = history_of([measured_row(rng) for _ in range(20)])
    slow_mode = measured_row(rng, median=50 * 1.25)

    assert flags(history, slow_mode) == {}
    assert flags(flat, slow_mode).get("typical") == "fail"


def test_a_history_shorter_than_min_runs_falls_back_to_the_fixed_tolerances(rng):
    history = history_of([measured_row(rng) for _ in range(2)])
    current = measured_row(rng, median=100)
    decision = decision_for(history, current)

    found = decision(current, history.runs[-1].rows[NAME], RULES)

    assert decision.fallback_rows == [NAME]
    assert {f.source for f in found} >= {"regression.latency.fail"}


def test_history_runs_with_too_few_requests_do_not_count(rng):
    history = history_of([measured_row(rng, requests=10) for _ in range(9)] + [measured_row(rng)])
    decision = decision_for(history, measured_row(rng))

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
    current = measured_row(rng, median=80)

    (finding,) = [
        f
        for f in decision_for(history, current)(current, history.runs[-1].rows[NAME], RULES)
        if f.metric == "typical"
    ]

    assert finding.level == "fail"
    assert finding.observed.startswith(f"{finding.value:.0f} ms, band ")
    assert "(20 runs, median 50 ms; +" in finding.observed
    assert finding.baseline < finding.limit < finding.value


def test_more_requests_mean_less_sampling_noise(rng):
    few, many = measured_row(rng, requests=100), measured_row(rng, requests=5000)
    metrics = ("typical", "p95")

    for metric in metrics:
        assert summarize(many, metrics).variances[metric] < summarize(few, metrics).variances[metric]


def test_a_row_read_from_the_csv_has_no_sampling_noise_to_add_and_no_typical_time():
    row = EndpointStats(name=NAME, requests=100, failures=0, rps=1, latency={"p95": 120.0})

    assert summarize(row, ("typical", "p95")).variances == {"p95": 0.0}


@settings(max_examples=200, deadline=None)
@given(
    center=st.floats(1, 5000),
    sd_log=st.floats(0.001, 2),
    runs=st.integers(3, 20),
    low=st.floats(0.1, 10_000),
    high=st.floats(0.1, 10_000),
)
def test_a_slower_run_never_gets_a_smaller_score(center, sd_log, runs, low, high):
    history = [(math.log(center) + sd_log * (-1) ** run, 0.0) for run in range(runs)]
    low, high = sorted((low, high))
    tests = [band_test(NAME, "p95", history, (math.log(value), 0.0), center_runs=10) for value in (low, high)]

    assert tests[0].p_value >= tests[1].p_value


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

    history = History(runs=tuple(HistoryRun(rows={AGGREGATE: current.aggregate, **rows}) for _ in range(3)))
    decision = HistoryDecision(history, RULE, current=current, baseline=current, rules=RULES)

    # aggregate and big: typical, p95, p99; small: typical only (5 requests beyond p95); no throughput rule
    assert decision.tests == 3 + 3 + 1
    assert decision.untested == {"p95": 1, "p99": 1}


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
    now = replace(measured_row(rng), name=AGGREGATE)
    latest = results_of(aggregate=runs[-1])

    def judged(aggregate: EndpointStats) -> list:
        decision = HistoryDecision(
            history, RULE, current=results_of(aggregate=aggregate), baseline=latest, rules=rules
        )
        return decision(aggregate, runs[-1], rules)

    noisy = judged(replace(now, rps=now.rps * 0.93))
    halved = judged(replace(now, rps=now.rps / 2))
    endpoint_history = history_of([measured_row(rng) for _ in range(20)])
    endpoint = replace(measured_row(rng), rps=measured_row(rng).rps / 2)
    one_endpoint = decision_for(endpoint_history, endpoint, rules)(
        endpoint, endpoint_history.runs[-1].rows[NAME], rules
    )

    assert [f for f in noisy if f.metric == "rps"] == []
    assert [(f.level, f.source) for f in halved if f.metric == "rps"] == [
        ("fail", "regression.history.throughput.fail")
    ]
    assert [f for f in one_endpoint if f.metric == "rps"] == [], (
        "an endpoint's throughput is not judged alone"
    )


def test_the_sampling_noise_of_a_small_row_widens_the_band_through_its_degrees_of_freedom():
    from loadtest.gate.history_band import Series, sampling_df

    history = [(math.log(50) + 0.02 * (-1) ** i, 0.004) for i in range(10)]
    series = Series(
        row=NAME, metric="typical", history=history, current=(math.log(60), 0.004), offsets=[0.0] * 10
    )
    small = replace(series, sampling_df=sampling_df(20, "typical"))

    assert sampling_df(20, "typical") == 15 and sampling_df(20, "p95") == math.inf
    known, rough = series.test(center_runs=10), small.test(center_runs=10)
    assert rough.variance == known.variance and rough.score == known.score
    assert rough.df < 40 < known.df
    assert rough.p_value > known.p_value and rough.band(0.001).high > known.band(0.001).high


def test_the_band_is_what_the_charts_draw_at_the_level_that_fired(rng):
    from loadtest.gate.series import JudgedBand

    history = history_of([measured_row(rng) for _ in range(10)])
    current = measured_row(rng, median=75.0)
    decision = decision_for(history, current)
    band = decision.bands[NAME]["typical"]
    finding = next(f for f in decision(current, history.runs[-1].rows[NAME], RULES) if f.metric == "typical")

    assert isinstance(band, JudgedBand) and (band.level, band.runs) == ("fail", 10)
    assert (band.center, band.high) == (finding.baseline, finding.limit)
    quiet = decision_for(history, measured_row(rng)).bands[NAME]["typical"]
    assert quiet.level == "warn" and quiet.high >= quiet.center * 1.05  # the warn level's minimum
