"""Common-mode rejection: endpoints judged relative to the run's other endpoints, the aggregate against its
own history, on seeded synthetic runs of several endpoints with a speed factor per run."""

import math
import random
from pathlib import Path

import pytest

from loadtest.bundle import (
    AGGREGATE,
    PERCENTILES,
    EndpointStats,
    Results,
    histogram_percentile,
    sum_histograms,
)
from loadtest.gate.history import History, HistoryRun
from loadtest.gate.history_band import common_mode_weight
from loadtest.gate.noise import HistoryDecision, Method
from loadtest.gate.thresholds import HistoryRule, RegressionRule, RegressionRules, Tolerance

ENDPOINTS = ("GET /a/", "GET /b/", "GET /c/", "GET /d/", "GET /e/")
SLOWED = "GET /a/"
SIGMA = 0.557
RULE = HistoryRule(
    levels={"warn": (0.05, Tolerance(0.03, 1)), "fail": (0.03, Tolerance(0.05, 2))},
    metrics=("typical", "p95", "p99"),
    reason="history",
)
RULES = RegressionRules(
    min_requests=20,
    latency=RegressionRule(
        kind="latency", warn=Tolerance(0.15, 5), fail=Tolerance(0.3, 10), metrics=("p50",)
    ),
)


def row(name: str, rng: random.Random, median: float, requests: int = 600) -> EndpointStats:
    histogram: dict[float, int] = {}
    for _ in range(requests):
        ms = median * math.exp(rng.gauss(0, SIGMA))
        bucket = float(round(ms) if ms < 100 else round(ms, -1))
        histogram[bucket] = histogram.get(bucket, 0) + 1
    return stats_of(name, histogram)


def stats_of(name: str, histogram: dict[float, int]) -> EndpointStats:
    count = sum(histogram.values())
    latency = {m: histogram_percentile(histogram, count, f) for m, f in PERCENTILES.items()}
    return EndpointStats(
        name=name, requests=count, failures=0, rps=count / 60, latency=latency, histogram=histogram
    )


def run(rng: random.Random, *, factor: float = 1.0, slow: float = 1.0) -> Results:
    """One run: every endpoint at 50 ms times the run's factor, the slowed one times ``slow`` too."""
    rows = {name: row(name, rng, 50 * factor * (slow if name == SLOWED else 1.0)) for name in ENDPOINTS}
    aggregate = stats_of(AGGREGATE, sum_histograms(r.histogram for r in rows.values()))
    return Results(
        source=Path("run"),
        facts=None,
        aggregate=aggregate,
        endpoints=rows,
        failures=(),
        percentiles_from="histograms",
    )


@pytest.fixture
def history():
    """Ten runs with a speed factor per run common to every endpoint, 4% spread."""
    rng = random.Random(21)
    runs = [run(rng, factor=math.exp(rng.gauss(0, 0.04))) for _ in range(10)]
    return History(runs=tuple(HistoryRun(rows={AGGREGATE: r.aggregate, **r.endpoints}) for r in runs))


DEFAULT = Method()


def judged(history: History, current: Results, method: Method = DEFAULT) -> tuple[HistoryDecision, dict]:
    latest = Results(
        source=Path("latest"),
        facts=None,
        aggregate=history.runs[-1].rows[AGGREGATE],
        endpoints={n: r for n, r in history.runs[-1].rows.items() if n != AGGREGATE},
        failures=(),
        percentiles_from="histograms",
    )
    decision = HistoryDecision(history, RULE, current=current, baseline=latest, rules=RULES, method=method)
    flags = {}
    for name, now in [(AGGREGATE, current.aggregate), *current.endpoints.items()]:
        for finding in decision(now, latest.endpoints.get(name, latest.aggregate), RULES):
            flags[(name, finding.metric)] = finding.level
    return decision, flags


def test_a_slower_runner_moves_every_endpoint_together_and_no_endpoint_is_flagged(history):
    current = run(random.Random(22), factor=1.08)

    decision, flags = judged(history, current)

    assert [key for key in flags if key[0] != AGGREGATE] == []
    assert decision.bands["GET /b/"]["typical"].run_shift == pytest.approx(1.08, abs=0.03)


def test_one_endpoint_slowed_by_15_percent_is_caught_even_on_a_faster_runner(history):
    current = run(random.Random(24), factor=0.95, slow=1.15)

    _, flags = judged(history, current)
    _, without = judged(history, current, Method(common_mode=False))

    assert flags.get((SLOWED, "typical")) == "fail"
    assert (SLOWED, "typical") not in without, "judged alone, the runner's 4% spread and its -5% hide it"


def test_one_endpoints_slowdown_moves_neither_its_own_run_wide_shift_nor_the_others(history):
    """Left out of its own shift, and left out of the others' as an outlier: nothing else looks faster.
    The same seed draws the same requests, only the slowed endpoint's 1.5 times slower: in a plain
    mean of the others' shifts it would move them by 10%; left out, by at most the noise of its own
    natural shift (a quarter of it)."""
    same, _ = judged(history, run(random.Random(24)))
    slowed, flags = judged(history, run(random.Random(24), slow=1.5))

    assert slowed.bands[SLOWED]["typical"].run_shift == same.bands[SLOWED]["typical"].run_shift
    for name in ENDPOINTS[1:]:
        assert slowed.bands[name]["typical"].run_shift == pytest.approx(
            same.bands[name]["typical"].run_shift, abs=0.03
        )
    assert slowed.run_shift == pytest.approx(same.run_shift, abs=0.03)
    assert {key for key in flags if key[0] != AGGREGATE} == {(SLOWED, "typical"), (SLOWED, "p95")}


def test_a_real_slowdown_of_every_endpoint_is_caught_by_the_run_wide_test(history):
    current = run(random.Random(25), factor=1.3)

    _, flags = judged(history, current)

    assert flags.get((AGGREGATE, "typical")) == "fail"
    assert [key for key in flags if key[0] != AGGREGATE] == []


def test_the_bands_are_kept_for_every_judged_metric_with_the_historys_values(history):
    current = run(random.Random(26))

    decision, flags = judged(history, current)
    band = decision.bands[SLOWED]["typical"]

    assert flags == {}
    assert {(name, m) for name, metrics in decision.bands.items() for m in metrics} == {
        (name, m) for name in (AGGREGATE, *ENDPOINTS) for m in ("typical", "p95")
    } | {(AGGREGATE, "p99")}
    assert band.runs == 10 and band.level == "warn"  # nothing fired: the edges of the lowest level
    assert len(band.values) == 10 and all(40 < value < 60 for value in band.values)
    assert band.low < band.center < band.high
    assert band.high >= band.center * 1.03  # the warn level's minimum effect (3%) at least
    assert 0 < band.p_value < 1


def test_the_weighted_common_mode_takes_out_what_the_history_shows_is_the_runners():
    # Shifts alternating by 4% with a sampling noise of 1%: nearly all of it is the runner's.
    alternating = [(0.04 * (-1) ** k, 0.0001) for k in range(10)]
    # Shifts that vary only as much as their own sampling noise: none of it is.
    quiet = [(0.0, 0.0001)] * 10

    assert common_mode_weight(alternating, 0.0001) == pytest.approx(0.0031 / 0.0032)
    assert common_mode_weight(quiet, 0.0001) == 0.0
    assert common_mode_weight([], 0.0) == 0.0


def test_on_a_runner_with_a_common_speed_factor_the_weighted_common_mode_still_catches_15_percent(history):
    current = run(random.Random(24), factor=0.95, slow=1.15)

    decision, flags = judged(history, current, Method(weighted_common_mode=True))

    assert flags.get((SLOWED, "typical")) == "fail"
    assert decision.bands["GET /b/"]["typical"].run_shift == pytest.approx(
        judged(history, current)[0].bands["GET /b/"]["typical"].run_shift, abs=0.01
    )
