"""Fault rules: canonical JSON, the --fault form, validation, matching and the latency distributions."""

import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtest import contract
from loadtest.sandbox.faults import (
    MAX_MS,
    FaultInjector,
    FaultRule,
    FaultSpecError,
    Jitter,
    parse_cli_rule,
    parse_rules,
    quantile_sample,
)


def test_defaults_fill_a_minimal_rule_and_the_canonical_form_lists_every_key():
    (rule,) = parse_rules([{"match": "GET /api/dashboard/"}])
    assert rule.to_dict() == {
        "match": "GET /api/dashboard/",
        "latency_ms": 0.0,
        "jitter": None,
        "scale": 1.0,
        "error_rate": 0.0,
        "error_status": 503,
    }


def test_the_admin_envelope_is_accepted_too():
    assert parse_rules({"rules": [{"match": "*"}]}) == [FaultRule(match="*")]


LOGNORMAL = {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5}
QUANTILES = {"distribution": "quantiles", "p50_ms": 1400, "p90_ms": 2833, "p95_ms": 4000, "p99_ms": 7667}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("GET /api/dashboard/=latency:50", {"match": "GET /api/dashboard/", "latency_ms": 50}),
        ("*=jitter:lognormal:50:2.5", {"match": "*", "jitter": LOGNORMAL}),
        (
            "POST *=jitter:uniform:20,errors:0.1,status:500",
            {
                "match": "POST *",
                "jitter": {"distribution": "uniform", "max_ms": 20},
                "error_rate": 0.1,
                "error_status": 500,
            },
        ),
        (
            "GET /api/ai-assistant/*=jitter:exponential:5,scale:1.5",
            {
                "match": "GET /api/ai-assistant/*",
                "jitter": {"distribution": "exponential", "mean_ms": 5},
                "scale": 1.5,
            },
        ),
        (
            "POST /api/accounts/sign-in/=jitter:quantiles:1400:2833:4000:7667,scale:0.1",
            {"match": "POST /api/accounts/sign-in/", "jitter": QUANTILES, "scale": 0.1},
        ),
        (
            "GET /api/dashboard/=latency:50,jitter:lognormal:50:2.5,scale:1.2,errors:0.1",
            {
                "match": "GET /api/dashboard/",
                "latency_ms": 50,
                "jitter": LOGNORMAL,
                "scale": 1.2,
                "error_rate": 0.1,
            },
        ),
    ],
)
def test_the_cli_form_means_the_same_as_the_canonical_form(spec, expected):
    assert parse_cli_rule(spec) == FaultRule.from_dict(expected)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("latency:50", "PATTERN=ITEM"),
        ("=latency:50", "PATTERN=ITEM"),
        ("*=latency:fast", "could not convert"),
        ("*=latency:-1", "latency_ms must be >= 0"),
        ("*=jitter:gauss:5", "unknown item"),
        ("*=jitter:lognormal:50", "takes MEDIAN_MS:P95_RATIO"),
        ("*=jitter:lognormal:50:1", "p95_ratio must be > 1"),
        ("*=jitter:quantiles:420:850:1200", "takes P50_MS:P90_MS:P95_MS:P99_MS"),
        ("*=jitter:quantiles:420:850:1200:2300:5000", "takes P50_MS:P90_MS:P95_MS:P99_MS"),
        ("*=jitter:quantiles:420:850:800:2300", "needs p50_ms <= p90_ms <= p95_ms <= p99_ms"),
        ("*=jitter:quantiles:0:850:1200:2300", "jitter.p50_ms must be > 0"),
        ("*=jitter:quantiles:420:850:1200:70000", "jitter.p99_ms must be > 0 and <= 60000"),
        ("*=errors:1.5", "error_rate must be >= 0 and <= 1"),
        ("*=status:404", "error_status must be one of"),
        ("*=slow", "unknown item 'slow'"),
    ],
)
def test_a_bad_cli_rule_says_what_is_wrong(spec, message):
    with pytest.raises(FaultSpecError, match=message):
        parse_cli_rule(spec)


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ("*", "must be a list"),
        ([["*"]], "rule 1: a rule must be an object"),
        ([{"match": "*"}, {"latency_ms": 5}], "rule 2: match must be a non-empty glob"),
        ([{"match": "*", "latency": 5}], "unknown keys \\['latency'\\]"),
        ([{"match": "*", "latency_ms": True}], "latency_ms must be a number"),
        ([{"match": "*", "latency_ms": float("nan")}], "latency_ms must be a number"),
        ([{"match": "*", "latency_ms": 10**9}], "<= 60000"),
        ([{"match": "*", "scale": -1}], "scale must be >= 0"),
        ([{"match": "*", "jitter": "lognormal"}], "jitter must be an object or null"),
        ([{"match": "*", "jitter": {"distribution": "uniform"}}], "uniform jitter needs max_ms"),
        ([{"match": "*", "jitter": {"distribution": "uniform", "max_ms": 0}}], "jitter.max_ms must be > 0"),
        (
            [{"match": "*", "jitter": {"distribution": "uniform", "max_ms": 5, "mean_ms": 1}}],
            "unknown: mean_ms",
        ),
        (
            [{"match": "*", "jitter": {k: v for k, v in QUANTILES.items() if k != "p95_ms"}}],
            "quantiles jitter needs p95_ms",
        ),
        ([{"match": "*", "jitter": QUANTILES | {"p50_ms": "420"}}], "jitter.p50_ms must be a number"),
        ([{"match": "*", "jitter": QUANTILES | {"p90_ms": 5000}}], "needs p50_ms <= p90_ms <= p95_ms"),
        ([{"match": "*", "jitter": {"distribution": "percentiles"}}], "jitter.distribution must be one of"),
    ],
)
def test_bad_rules_are_refused_with_the_rule_and_field_named(rules, message):
    with pytest.raises(FaultSpecError, match=message):
        parse_rules(rules)


def test_the_first_matching_rule_wins_and_globs_match_stats_names():
    injector = FaultInjector(
        parse_rules([{"match": "GET /api/dashboard/", "latency_ms": 1}, {"match": "GET *", "latency_ms": 2}])
    )
    assert injector.rule_for(contract.DASHBOARD.name).latency_ms == 1
    assert injector.rule_for(contract.SEARCH.name).latency_ms == 2
    assert injector.rule_for(contract.SIGN_IN.name) is None


def test_replacing_rules_forgets_earlier_matches():
    injector = FaultInjector(parse_rules([{"match": "*", "latency_ms": 1}]))
    assert injector.rule_for(contract.DASHBOARD.name) is not None
    injector.replace([])
    assert injector.rule_for(contract.DASHBOARD.name) is None


def test_latency_is_fixed_plus_jitter_times_scale():
    rule = FaultRule(match="*", latency_ms=10, jitter=Jitter("uniform", {"max_ms": 4}), scale=1.5)
    delays_ms = [rule.delay_s(random.Random(seed)) * 1000 for seed in range(200)]
    assert min(delays_ms) >= 15 and max(delays_ms) <= 21


def test_lognormal_jitter_has_the_median_and_p95_ratio_asked_for():
    jitter = Jitter("lognormal", {"median_ms": 50, "p95_ratio": 2.5})
    rng = random.Random(1)
    samples = sorted(jitter.sample_ms(rng) for _ in range(20_000))
    median, p95 = statistics.median(samples), samples[int(0.95 * len(samples))]
    assert 48 < median < 52
    assert 2.35 < p95 / median < 2.65


def test_equal_percentiles_are_allowed_and_give_that_latency_up_to_p95():
    jitter = Jitter.from_dict(QUANTILES | {"p90_ms": 1400, "p95_ms": 1400})
    assert jitter.sample_ms(random.Random(3)) > 0
    for u in (0.5, 0.7, 0.9, 0.95):
        assert quantile_sample(jitter.params, u) == pytest.approx(1400)


def test_quantiles_jitter_times_scale_gives_the_rules_delay():
    rule = FaultRule.from_dict({"match": "*", "latency_ms": 10, "jitter": QUANTILES, "scale": 0.1})
    delays_ms = [rule.delay_s(random.Random(seed)) * 1000 for seed in range(200)]
    assert min(delays_ms) >= (10 + quantile_sample(rule.jitter.params, 0.0)) * 0.1
    assert max(delays_ms) <= (10 + quantile_sample(rule.jitter.params, 1.0)) * 0.1


def test_the_delay_never_exceeds_max_ms():
    rule = FaultRule.from_dict({"match": "*", "latency_ms": MAX_MS, "jitter": QUANTILES, "scale": 100})
    assert rule.delay_s(random.Random(1)) == MAX_MS / 1000


def test_exponential_jitter_has_the_mean_asked_for():
    rng = random.Random(2)
    assert (
        9.5
        < statistics.mean(Jitter("exponential", {"mean_ms": 10}).sample_ms(rng) for _ in range(20_000))
        < 10.5
    )


def test_the_error_rate_is_a_probability_and_the_seed_makes_it_repeatable():
    rule = FaultRule(match="*", error_rate=0.1, error_status=500)

    def fates(seed):
        injector = FaultInjector([rule], seed=seed)
        return [injector.decide(rule)[1] for _ in range(5000)]

    first = fates(7)
    assert first == fates(7)
    assert set(first) == {None, 500}
    assert 0.08 < first.count(500) / len(first) < 0.12


QUANTILE_NAMES = ("p50_ms", "p90_ms", "p95_ms", "p99_ms")
rule_dicts = st.fixed_dictionaries(
    {"match": st.sampled_from(["*", contract.DASHBOARD.name, "POST /api/*"])},
    optional={
        "latency_ms": st.floats(0, 60_000),
        "scale": st.floats(0, 100),
        "error_rate": st.floats(0, 1),
        "error_status": st.sampled_from([500, 503]),
        "jitter": st.one_of(
            st.none(),
            st.builds(
                lambda m, r: {"distribution": "lognormal", "median_ms": m, "p95_ratio": r},
                st.floats(0.1, 1000),
                st.floats(1.01, 10),
            ),
            st.builds(lambda m: {"distribution": "exponential", "mean_ms": m}, st.floats(0.1, 1000)),
            st.builds(
                lambda ps: {
                    "distribution": "quantiles",
                    **dict(zip(QUANTILE_NAMES, sorted(ps), strict=True)),
                },
                st.lists(st.floats(0.1, 60_000), min_size=4, max_size=4),
            ),
        ),
    },
)


@given(st.lists(rule_dicts, max_size=4))
def test_the_canonical_form_round_trips(rules):
    parsed = parse_rules(rules)
    assert parse_rules([rule.to_dict() for rule in parsed]) == parsed
