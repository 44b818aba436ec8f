"""Absolute limits judged by their confidence interval (issue 22): a percentile from too few requests
above its limit warns and says how many requests would settle it; a clearly broken endpoint fails."""

import math
from pathlib import Path
from statistics import NormalDist

import pytest

from loadtest.bundle import EndpointStats
from loadtest.gate import stats
from loadtest.gate.rules import check_limits
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS, Limit, LimitSampling, load_thresholds

ENDPOINT = "GET /api/ai-assistant/random-mystery-box/"


def locust_bucket(ms: float) -> float:
    """Locust's rounding: whole ms below 100, 10 ms up to 1,000, 100 ms above."""
    step = 1 if ms < 100 else 10 if ms < 1000 else 100
    return round(ms / step) * step


def lognormal_row(requests: int, median_ms: float, p95_ms: float, factor: float = 1.0) -> EndpointStats:
    """A row whose requests sit exactly on a lognormal's quantiles (no randomness), rounded as Locust
    rounds them; ``factor`` slows every request."""
    sigma = math.log(p95_ms / median_ms) / NormalDist().inv_cdf(0.95)
    histogram: dict[float, int] = {}
    for i in range(requests):
        ms = factor * median_ms * math.exp(sigma * NormalDist().inv_cdf((i + 0.5) / requests))
        bucket = locust_bucket(ms)
        histogram[bucket] = histogram.get(bucket, 0) + 1
    p95 = stats.percentile(histogram, 0.95)
    return EndpointStats(
        name=ENDPOINT,
        requests=requests,
        failures=0,
        rps=requests / 60,
        latency={"p95": p95},
        histogram=histogram,
    )


@pytest.fixture
def real_host_limits():
    rules = load_thresholds(Path(DEFAULT_THRESHOLDS)).rules_for(preset="smoke", target="external")
    return rules.endpoint_limits(ENDPOINT), rules.sampling


def test_thresholds_json_judges_limits_by_their_interval(real_host_limits):
    limits, sampling = real_host_limits

    assert sampling.sample == "interval" and sampling.confidence == 0.95 and sampling.reason
    assert limits["p95"].value == 1500 and sampling.sample_of(limits["p95"]) == "interval"


def test_a_p95_above_its_limit_from_too_few_requests_is_a_warning_with_the_requests_it_needs(
    real_host_limits,
):
    limits, sampling = real_host_limits
    row = lognormal_row(230, median_ms=600, p95_ms=1700)
    assert row.value("p95") > 1500  # the figure alone would fail

    findings, _ = check_limits(row, limits, sampling)

    (finding,) = [f for f in findings if f.metric == "p95"]
    assert finding.level == "warn"
    assert "95% interval" in finding.observed and "from 230 requests" in finding.observed
    needed = stats.percentile_requests_needed(row.histogram, 0.95, 1500, NormalDist().inv_cdf(0.975))
    assert needed > 230
    assert f"about {needed:,} requests would give a firm answer" in finding.observed
    assert finding.reason == sampling.reason


def test_a_three_times_slower_endpoint_still_fails_its_limit(real_host_limits):
    limits, sampling = real_host_limits
    row = lognormal_row(230, median_ms=600, p95_ms=1700, factor=3.0)

    findings, _ = check_limits(row, limits, sampling)

    (finding,) = [f for f in findings if f.metric == "p95"]
    assert finding.level == "fail"
    assert "95% interval" in finding.observed


def test_as_many_requests_as_it_asked_for_settle_it(real_host_limits):
    """The requests the warning names are enough: the same distribution with that many fails."""
    limits, sampling = real_host_limits
    few = lognormal_row(230, median_ms=600, p95_ms=1700)
    needed = stats.percentile_requests_needed(few.histogram, 0.95, 1500, NormalDist().inv_cdf(0.975))

    findings, _ = check_limits(lognormal_row(needed * 2, median_ms=600, p95_ms=1700), limits, sampling)

    assert [f.level for f in findings if f.metric == "p95"] == ["fail"]


def test_a_limit_set_to_point_lets_the_figure_alone_decide(real_host_limits):
    limits, sampling = real_host_limits
    point = {"p95": Limit("p95", 1500, sample="point")}

    findings, _ = check_limits(lognormal_row(230, median_ms=600, p95_ms=1700), point, sampling)

    assert [f.level for f in findings] == ["fail"]


@pytest.mark.parametrize(
    ("failures", "requests", "level"),
    [(2, 40, "warn"), (30, 400, "fail"), (0, 40, None)],
)
def test_a_failure_ratio_from_a_small_count_warns_until_its_interval_is_above(failures, requests, level):
    row = EndpointStats(name=ENDPOINT, requests=requests, failures=failures, rps=1.0)
    limits = {"failure_ratio": Limit("failure_ratio", 0.02)}

    findings, _ = check_limits(row, limits, LimitSampling())

    assert [f.level for f in findings] == ([level] if level else [])


def test_requests_per_second_below_a_floor_from_few_requests_warns():
    limits = {"min_rps": Limit("min_rps", 1.0)}
    few = EndpointStats(name=ENDPOINT, requests=50, failures=0, rps=0.9)
    many = EndpointStats(name=ENDPOINT, requests=5000, failures=0, rps=0.9)

    assert [f.level for f in check_limits(few, limits, LimitSampling())[0]] == ["warn"]
    assert [f.level for f in check_limits(many, limits, LimitSampling())[0]] == ["fail"]


@pytest.mark.parametrize(("ratio", "limit"), [(0.05, 0.02), (0.03, 0.02), (0.011, 0.01)])
def test_the_requests_a_failure_ratio_needs_are_the_fewest_whose_interval_clears_the_limit(ratio, limit):
    needed = stats.ratio_requests_needed(ratio, limit)

    assert stats.wilson_interval(ratio * needed, needed)[0] > limit
    assert stats.wilson_interval(ratio * (needed - 1), needed - 1)[0] <= limit


def test_a_percentile_interval_brackets_the_percentile():
    row = lognormal_row(1000, median_ms=100, p95_ms=250)
    low, high = stats.percentile_interval(row.histogram, 0.95)

    assert low < row.value("p95") < high
