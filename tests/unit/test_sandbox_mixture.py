"""The mixture jitter: its two forms, its validation, and the quantiles its draws reproduce."""

import math
import random
from statistics import NormalDist

import pytest

from loadtest.sandbox.faults import FaultRule, FaultSpecError, Jitter, parse_cli_rule, parse_rules

MIXTURE = {
    "distribution": "mixture",
    "median_ms": 50,
    "p95_ratio": 2,
    "second_ratio": 3,
    "second_weight": 0.1,
    "tail_ratio": 10,
    "tail_weight": 0.01,
}


def mixture_quantile(params: dict[str, float], q: float) -> float:
    """The exact quantile of the mixture, by bisection on its CDF (a weighted sum of lognormal CDFs)."""
    sigma = math.log(params["p95_ratio"]) / NormalDist().inv_cdf(0.95)
    modes = [
        (1 - params["second_weight"] - params["tail_weight"], 1.0),
        (params["second_weight"], params["second_ratio"]),
        (params["tail_weight"], params["tail_ratio"]),
    ]

    def cdf(ms: float) -> float:
        return sum(
            weight * NormalDist().cdf((math.log(ms) - math.log(params["median_ms"] * ratio)) / sigma)
            for weight, ratio in modes
        )

    low, high = 1e-3, 1e6
    for _ in range(100):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if cdf(middle) < q else (low, middle)
    return low


def test_the_cli_form_means_the_same_as_the_canonical_form():
    assert parse_cli_rule("*=jitter:mixture:50:2:3:0.1:10:0.01,scale:1.04") == FaultRule.from_dict(
        {"match": "*", "jitter": MIXTURE, "scale": 1.04}
    )


def test_the_canonical_form_round_trips():
    (rule,) = parse_rules([{"match": "*", "jitter": MIXTURE}])
    assert parse_rules([rule.to_dict()]) == [rule]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"second_weight": 0.6}, "jitter.second_weight must be >= 0 and <= 0.5"),
        ({"tail_weight": -0.01}, "jitter.tail_weight must be >= 0"),
        ({"second_ratio": 1}, "jitter.second_ratio must be > 1"),
        ({"tail_ratio": 200}, "jitter.tail_ratio must be > 1 and <= 100"),
        ({"second_ratio": 12}, "needs second_ratio <= tail_ratio"),
        ({"tail_weight": True}, "jitter.tail_weight must be a number"),
        ({"median_ms": 0}, "jitter.median_ms must be > 0"),
    ],
)
def test_bad_mixtures_are_refused_with_the_field_named(change, message):
    with pytest.raises(FaultSpecError, match=message):
        parse_rules([{"match": "*", "jitter": MIXTURE | change}])


def test_a_mixture_missing_a_parameter_names_it():
    with pytest.raises(FaultSpecError, match="mixture jitter needs tail_weight"):
        parse_rules([{"match": "*", "jitter": {k: v for k, v in MIXTURE.items() if k != "tail_weight"}}])
    with pytest.raises(FaultSpecError, match="takes MEDIAN_MS:P95_RATIO:SECOND_RATIO"):
        parse_cli_rule("*=jitter:mixture:50:2:3:0.1:10")


@pytest.mark.parametrize("q", [0.25, 0.5, 0.75, 0.9, 0.95, 0.99])
def test_seeded_draws_reproduce_the_mixtures_quantiles(q):
    jitter = Jitter.from_dict(MIXTURE)
    rng = random.Random(11)
    draws = sorted(jitter.sample_ms(rng) for _ in range(40_000))

    empirical = draws[int(q * len(draws))]

    # 40,000 draws pin p99 to about 3% and the middle quantiles to about 1% (seeded: the same every run)
    assert empirical == pytest.approx(mixture_quantile(jitter.params, q), rel=0.04)


def test_the_modes_land_where_they_are_asked_for():
    """About 10% of draws come from the mode 3x slower and 1% from the tail 10x slower."""
    jitter = Jitter.from_dict(MIXTURE | {"p95_ratio": 1.05})
    rng = random.Random(12)
    draws = [jitter.sample_ms(rng) for _ in range(20_000)]

    main = sum(ms < 100 for ms in draws) / len(draws)
    second = sum(100 <= ms < 300 for ms in draws) / len(draws)
    tail = sum(ms >= 300 for ms in draws) / len(draws)

    assert main == pytest.approx(0.89, abs=0.01)
    assert second == pytest.approx(0.10, abs=0.01)
    assert tail == pytest.approx(0.01, abs=0.003)
