"""The history gate's statistics on small seeded inputs: the typical time and its noise, the bootstrap,
Holm's procedure and Student's t."""

import math
import random
import statistics

import pytest

from loadtest.gate import stats


def lognormal_histogram(rng: random.Random, n: int, *, median: float = 50.0, sigma: float = 0.557) -> dict:
    """``n`` lognormal response times rounded as Locust rounds them (whole ms below 100, 10 ms above)."""
    histogram: dict[float, int] = {}
    for _ in range(n):
        ms = median * math.exp(rng.gauss(0, sigma))
        bucket = float(round(ms) if ms < 100 else round(ms, -1))
        histogram[bucket] = histogram.get(bucket, 0) + 1
    return histogram


def test_the_trimmed_mean_leaves_out_the_fastest_and_slowest_tenth():
    # 10 requests: 1 ms ... 10 ms; a 10% trim drops 1 ms and 10 ms and averages the logs of 2..9
    histogram = {float(ms): 1 for ms in range(1, 11)}

    assert stats.trimmed_log_mean(histogram) == pytest.approx(
        statistics.fmean(math.log(ms) for ms in range(2, 10))
    )


def test_a_bucket_cut_by_the_trim_keeps_the_share_inside():
    # 20 requests: 10 at 10 ms, 10 at 40 ms; a 25% trim keeps 5 of each: the mean log is halfway
    histogram = {10.0: 10, 40.0: 10}

    assert stats.trimmed_log_mean(histogram, trim=0.25) == pytest.approx(math.log(20.0))


def test_a_heavy_tail_cannot_drag_the_typical_time():
    body = {50.0: 95}
    with_tail = body | {5000.0: 5}

    assert stats.trimmed_log_mean(with_tail) == pytest.approx(math.log(50.0))


def test_a_slowdown_by_a_factor_shifts_the_typical_time_by_its_log():
    rng = random.Random(1)
    base = lognormal_histogram(rng, 5000)
    slower = lognormal_histogram(random.Random(1), 5000, median=60.0)

    assert stats.trimmed_log_mean(slower) - stats.trimmed_log_mean(base) == pytest.approx(
        math.log(1.2), abs=0.01
    )


def test_the_winsorized_variance_matches_the_spread_of_repeated_runs():
    """200 seeded runs of 600 requests: the formula predicts the run-to-run variance within 15%."""
    rng = random.Random(2)
    runs = [lognormal_histogram(rng, 600) for _ in range(200)]
    observed = statistics.variance(stats.trimmed_log_mean(run) for run in runs)
    predicted = statistics.fmean(stats.trimmed_mean_variance(run) for run in runs)

    assert predicted == pytest.approx(observed, rel=0.15)
    assert predicted == pytest.approx(0.557**2 / 600, rel=0.15)


def test_the_bootstrap_is_deterministic_for_a_seed_and_measures_the_noise():
    rng = random.Random(3)
    histogram = lognormal_histogram(rng, 600)

    def p95(h):
        return [stats.log_ms(stats.percentile(h, 0.95))]

    first = stats.bootstrap_variances(histogram, p95, replicates=200, seed="run 1")
    again = stats.bootstrap_variances(histogram, p95, replicates=200, seed="run 1")
    other = stats.bootstrap_variances(histogram, p95, replicates=200, seed="run 2")
    repeated = [stats.log_ms(stats.percentile(lognormal_histogram(rng, 600), 0.95)) for _ in range(200)]

    assert first == again
    assert first != other
    # the real run-to-run variance of log p95 from 200 more runs, within the bootstrap's own error
    assert first[0] == pytest.approx(statistics.variance(repeated), rel=0.35)


def test_a_run_of_one_request_has_no_bootstrap_noise():
    assert stats.bootstrap_variances({50.0: 1}, lambda h: [1.0, 2.0], replicates=50, seed="x") == [0.0, 0.0]


@pytest.mark.parametrize(
    ("p_values", "alpha", "rejected"),
    [
        # the smallest against alpha/4, the next against alpha/3, ...: all four pass
        ([0.01, 0.04, 0.02, 0.005], 0.1, [True, True, True, True]),
        # 0.03 > 0.05/2 stops the procedure: it and 0.04 are accepted
        ([0.01, 0.04, 0.03, 0.005], 0.05, [True, False, False, True]),
        # Bonferroni (0.05/3 = 0.0167) would reject only the first; Holm rejects two
        ([0.01, 0.02, 0.5], 0.05, [True, True, False]),
        # nothing small enough: nothing rejected, however many tests
        ([0.2, 0.3, 0.9], 0.05, [False, False, False]),
        ([], 0.05, []),
    ],
)
def test_holms_step_down_procedure(p_values, alpha, rejected):
    levels = stats.holm_levels(p_values, alpha)

    assert [p <= level for p, level in zip(p_values, levels, strict=True)] == rejected


def test_holm_never_judges_a_test_more_strictly_than_bonferroni():
    p_values = [0.001, 0.004, 0.2, 0.011, 0.03]
    assert all(level >= 0.05 / len(p_values) for level in stats.holm_levels(p_values, 0.05))


@pytest.mark.parametrize(
    ("q", "df", "expected"),
    [
        (0.975, 10, 2.228),  # the textbook table
        (0.99, 9, 2.821),
        (0.999, 9, 4.297),
        (0.95, 1, 6.314),
        (0.5, 3, 0.0),
        (0.995, 30, 2.750),
        (0.975, math.inf, 1.960),
    ],
)
def test_students_t_quantiles_match_the_table(q, df, expected):
    assert stats.t_quantile(q, df) == pytest.approx(expected, abs=1e-3)


def test_the_t_cdf_is_symmetric_and_inverts_the_quantile():
    assert stats.t_cdf(0.0, 4) == pytest.approx(0.5)
    assert stats.t_cdf(-2.0, 7) == pytest.approx(1 - stats.t_cdf(2.0, 7))
    assert stats.t_upper_p(stats.t_quantile(0.999, 6.5), 6.5) == pytest.approx(0.001, rel=1e-6)


@pytest.mark.parametrize(("ms", "width"), [(0.0, 1), (99.0, 1), (100.0, 10), (990.0, 10), (1000.0, 100)])
def test_bucket_width_follows_locusts_rounding(ms, width):
    assert stats.bucket_width(ms) == width


def test_the_typical_time_in_ms_is_the_exp_of_the_trimmed_log_mean():
    histogram = {40.0: 1, 50.0: 8, 1000.0: 1}

    assert stats.typical_ms(histogram) == pytest.approx(50.0)
    assert stats.typical_ms({}) is None
