"""Latency profiles: the quantile sampler reproduces the percentiles it is given, and ``realistic``
gives every endpoint of the contract the times production measured (x ``--profile-scale``).

Everything here is deterministic: the sampler is evaluated at chosen probabilities, and the one
random sample is seeded, with a tolerance it would meet for almost any seed (six standard errors).
"""

import math
import random
from statistics import NormalDist

import pytest

from loadtest import contract
from loadtest.cli.sandbox import build_parser
from loadtest.sandbox import sandbox_args
from loadtest.sandbox.faults import MAX_Z, FaultInjector, FaultRule, Jitter, parse_rules, quantile_sample
from loadtest.sandbox.profiles import PROFILES, profile_rules

PARAMS = {"p50_ms": 420.0, "p90_ms": 850.0, "p95_ms": 1200.0, "p99_ms": 2300.0}
PERCENTILES = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99}
Z = {name: NormalDist().inv_cdf(q) for name, q in PERCENTILES.items()}
TIMINGS = sorted({e.timing for e in contract.API if e.timing}, key=lambda t: t.p50)


def params_of(timing: contract.Timing) -> dict[str, float]:
    return {"p50_ms": timing.p50, "p90_ms": timing.p90, "p95_ms": timing.p95, "p99_ms": timing.p99}


class Fixed(random.Random):
    """A random source whose every draw is ``u``."""

    def __init__(self, u: float) -> None:
        super().__init__(0)
        self.u = u

    def random(self) -> float:
        return self.u


# -- the quantile sampler ---------------------------------------------------------------------------


@pytest.mark.parametrize("params", [PARAMS, *map(params_of, TIMINGS)], ids=lambda p: f"p50={p['p50_ms']:g}")
@pytest.mark.parametrize("name", PERCENTILES)
def test_the_sampler_passes_through_each_percentile_it_is_given(params, name):
    assert quantile_sample(params, PERCENTILES[name]) == pytest.approx(params[name], rel=1e-9)


def test_its_least_and_greatest_values_are_those_of_the_lowest_and_highest_z():
    # Below p50 the p50-p90 piece extends down, above p99 the p95-p99 piece up, both to |z| = MAX_Z.
    least = PARAMS["p50_ms"] * (PARAMS["p90_ms"] / PARAMS["p50_ms"]) ** (-MAX_Z / Z["p90_ms"])
    slope = math.log(PARAMS["p99_ms"] / PARAMS["p95_ms"]) / (Z["p99_ms"] - Z["p95_ms"])
    greatest = PARAMS["p99_ms"] * math.exp(slope * (MAX_Z - Z["p99_ms"]))
    assert (round(least, 1), round(greatest, 1)) == (61.2, 7052.2)
    for u in (0.0, 1e-12, 1e-6, NormalDist().cdf(-MAX_Z)):
        assert quantile_sample(PARAMS, u) == pytest.approx(least, rel=1e-7)
    for u in (1.0, 1 - 1e-12, 1 - 1e-6, NormalDist().cdf(MAX_Z)):
        assert quantile_sample(PARAMS, u) == pytest.approx(greatest, rel=1e-7)


def test_the_sampler_never_decreases_and_has_no_jump():
    values = [quantile_sample(PARAMS, k / 10_000) for k in range(10_001)]
    assert all(b >= a * (1 - 1e-12) for a, b in zip(values, values[1:], strict=False))
    # Continuous at the knots: just below and just above a percentile are within a hair of it.
    for name, q in PERCENTILES.items():
        below, above = quantile_sample(PARAMS, q - 1e-9), quantile_sample(PARAMS, q + 1e-9)
        assert below == pytest.approx(PARAMS[name], rel=1e-6) and above == pytest.approx(
            PARAMS[name], rel=1e-6
        )


def test_20000_seeded_draws_have_the_percentiles_asked_for():
    jitter = Jitter("quantiles", PARAMS)
    rng = random.Random(20_000)
    n = 20_000
    draws = [jitter.sample_ms(rng) for _ in range(n)]
    for name, q in PERCENTILES.items():
        # The share of draws at or below a true q-quantile is Binomial(n, q) / n: within six of its
        # standard errors but for a chance of about 2e-9.
        tolerance = 6 * math.sqrt(q * (1 - q) / n)
        share = sum(d <= PARAMS[name] for d in draws) / n
        assert abs(share - q) <= tolerance, (name, share, q, tolerance)
    ranked = sorted(draws)
    assert ranked[0] >= quantile_sample(PARAMS, 0.0) and ranked[-1] <= quantile_sample(PARAMS, 1.0)


def test_a_lognormal_through_p50_and_p90_alone_would_miss_the_tail():
    """The check above can fail: the same draws without the p95 and p99 knots land outside it."""
    sigma = math.log(PARAMS["p90_ms"] / PARAMS["p50_ms"]) / Z["p90_ms"]
    rng, n = random.Random(20_000), 20_000
    draws = [PARAMS["p50_ms"] * math.exp(sigma * NormalDist().inv_cdf(rng.random())) for _ in range(n)]
    share = sum(d <= PARAMS["p99_ms"] for d in draws) / n
    assert abs(share - 0.99) > 6 * math.sqrt(0.99 * 0.01 / n)


# -- the realistic profile ----------------------------------------------------------------------


def test_the_realistic_profile_has_one_rule_for_each_of_the_13_endpoints():
    rules = profile_rules("realistic")
    assert len(contract.API) == 13
    assert [rule.match for rule in rules] == [endpoint.name for endpoint in contract.API]
    injector = FaultInjector(rules)
    for endpoint in contract.API:
        rule = injector.rule_for(endpoint.name)
        assert rule.match == endpoint.name, "a rule's glob catches another endpoint"
        assert rule.jitter == Jitter("quantiles", params_of(endpoint.timing))
        assert (rule.latency_ms, rule.scale, rule.error_rate) == (0.0, 1.0, 0.0)


@pytest.mark.parametrize("scale", [1.0, 0.1, 2.5])
def test_sign_in_takes_1400_ms_at_its_median_times_the_scale(scale):
    (rule,) = [r for r in profile_rules("realistic", scale=scale) if r.match == contract.SIGN_IN.name]
    assert rule.delay_s(Fixed(0.5)) * 1000 == pytest.approx(1400 * scale)
    assert rule.delay_s(Fixed(0.99)) * 1000 == pytest.approx(contract.SIGN_IN.timing.p99 * scale)


def test_at_a_tenth_help_articles_take_24_ms_at_the_median():
    (rule,) = [r for r in profile_rules("realistic", scale=0.1) if r.match == contract.HELP_ARTICLES.name]
    assert rule.delay_s(Fixed(0.5)) * 1000 == pytest.approx(24)


def test_the_profiles_rules_survive_their_canonical_form():
    rules = profile_rules("realistic", scale=0.1)
    assert parse_rules([rule.to_dict() for rule in rules]) == rules
    assert all(isinstance(rule, FaultRule) for rule in rules)


def test_an_unknown_profile_is_refused_with_the_known_ones():
    assert PROFILES == ("realistic",)
    with pytest.raises(ValueError, match="unknown profile 'fast'; choose one of: realistic"):
        profile_rules("fast")


def test_profile_realistic_profile_scale_0_1_parses():
    args = build_parser().parse_args(["--profile", "realistic", "--profile-scale", "0.1"])
    assert (args.profile, args.profile_scale) == ("realistic", 0.1)
    again = build_parser().parse_args(sandbox_args(profile="realistic", profile_scale=0.1))
    assert (again.profile, again.profile_scale) == ("realistic", 0.1)
    none = build_parser().parse_args(sandbox_args())
    assert (none.profile, none.profile_scale) == (None, 1.0)
