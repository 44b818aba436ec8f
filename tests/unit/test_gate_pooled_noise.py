"""Issue 22: the runner's noise pooled across endpoints, and figures that never print equal to
their band's edge (the runner-wide finding and verdict.json's bands: test_gate_history_summary)."""

import random
import statistics

import pytest

from loadtest.gate import stats
from loadtest.gate.history_band import Series, mssd_degrees_of_freedom, pool_runner_noise
from loadtest.gate.units import format_ms_apart, format_p_value


def series(rng: random.Random, name: str, *, sampling: float, extra: float, runs: int = 10) -> Series:
    """A history whose runs vary by their sampling noise plus ``extra`` runner noise (variances)."""
    history = [(rng.gauss(4.0, (sampling + extra) ** 0.5), sampling) for _ in range(runs)]
    return Series(row=name, metric="typical", history=history, current=(4.0, sampling), offsets=[0.0] * runs)


def test_without_runner_noise_the_pooled_ratio_is_near_one_and_rests_on_every_endpoint():
    rng = random.Random(1)
    found = [series(rng, f"e{i}", sampling=0.0004 * (1 + i), extra=0.0) for i in range(13)]

    pooled = pool_runner_noise(found)

    assert pooled is not None and pooled.endpoints == 13
    assert pooled.df == pytest.approx(13 * mssd_degrees_of_freedom(10))
    assert 0.6 < pooled.ratio < 1.4


def test_the_pooled_estimate_swings_far_less_than_one_endpoints_own():
    """Over many histories of the same model, one endpoint's own runner noise estimate scatters; the
    pooled one, in units of each endpoint's sampling noise, barely does: the band stops swinging
    with which runs form the history (issue 22: 0.000 and 0.0197 from two histories)."""
    own, pooled = [], []
    for seed in range(60):
        rng = random.Random(seed)
        found = [series(rng, f"e{i}", sampling=0.0006, extra=0.0003) for i in range(13)]
        own.append(max(0.0, found[0].own_between))
        pooled.append(pool_runner_noise(found).between(found[0].sampling_then))

    assert statistics.fmean(pooled) == pytest.approx(0.0003, rel=0.35)
    assert statistics.stdev(pooled) < statistics.stdev(own) / 2.5


def test_an_endpoint_far_noisier_than_the_pool_keeps_its_own_estimate():
    rng = random.Random(2)
    quiet = [series(rng, f"e{i}", sampling=0.0004, extra=0.0) for i in range(12)]
    noisy = series(rng, "noisy", sampling=0.0004, extra=0.02)
    pooled = pool_runner_noise([*quiet, noisy])

    assert pooled.exceeded_by(noisy)
    assert not any(pooled.exceeded_by(s) for s in quiet)
    variance, _ = noisy.runner_noise(pooled)
    assert variance == pytest.approx(noisy.own_between)


def test_the_chi_square_quantile_matches_known_values():
    assert stats.chi2_quantile(0.99, 6.0) == pytest.approx(16.812, rel=0.01)
    assert stats.chi2_quantile(0.95, 80.0) == pytest.approx(101.879, rel=0.01)


@pytest.mark.parametrize(
    ("value", "edge", "expected"),
    [
        (147.2, 146.9, ["147.2", "146.9"]),
        (147.04, 146.96, ["147.04", "146.96"]),
        (160.0, 147.0, ["160", "147"]),
    ],
)
def test_a_value_that_crossed_its_edge_never_prints_equal_to_it(value, edge, expected):
    assert format_ms_apart(value, edge) == expected


def test_p_values_read_without_a_markdown_sign():
    assert [format_p_value(p) for p in (0.5, 0.031, 0.00004)] == ["p 0.50", "p 0.031", "p under 0.0001"]
