"""Issue 22: the runner's noise pooled across endpoints, a runner-wide shift named as such, figures
that never print equal to their band's edge, and every judged row's band in verdict.json."""

import json
import random
import statistics

import pytest

from loadtest.bundle import AGGREGATE
from loadtest.gate import render_markdown, run_gate, stats, verdict_json
from loadtest.gate.findings import RUNNER_WIDE_REASON
from loadtest.gate.noise import Series, mssd_degrees_of_freedom, pool_runner_noise
from loadtest.gate.units import format_ms_apart, format_p_value
from tests.conftest import GATE_FIXTURES
from tests.unit.test_gate_history_summary import ENDPOINTS, HISTORY, NOW, baseline_with_history, write_bundle


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


@pytest.fixture
def thresholds(tmp_path):
    document = json.loads((GATE_FIXTURES / "thresholds.json").read_text(encoding="utf-8"))
    document["regression"]["history"] = HISTORY
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_when_only_the_whole_run_moved_the_finding_names_the_runner(tmp_path, thresholds):
    rng = random.Random(5)
    baseline = baseline_with_history(tmp_path, rng, 8)
    current = write_bundle(tmp_path / "current", rng, "c", slow=dict.fromkeys(ENDPOINTS, 1.4))

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    flagged = [f for f in report.findings if f.kind == "regression" and f.metric == "typical"]
    assert [f.scope for f in flagged] == [AGGREGATE]
    assert flagged[0].reason == RUNNER_WIDE_REASON
    assert "every endpoint moved +" in flagged[0].observed
    assert "slower runner or network" in render_markdown(report)


def test_an_endpoint_that_moved_by_itself_is_not_blamed_on_the_runner(tmp_path, thresholds):
    rng = random.Random(4)
    baseline = baseline_with_history(tmp_path, rng, 8)
    current = write_bundle(tmp_path / "current", rng, "c", slow={"GET /api/dashboard/": 1.5})

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert all(f.reason != RUNNER_WIDE_REASON for f in report.findings)


def test_verdict_json_and_the_table_give_every_judged_rows_band_flagged_or_not(tmp_path, thresholds):
    rng = random.Random(5)
    baseline = baseline_with_history(tmp_path, rng, 8)
    current = write_bundle(tmp_path / "current", rng, "c")

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)
    bands = verdict_json(report)["bands"]

    assert report.verdict == "pass"
    assert set(bands) == {AGGREGATE, *ENDPOINTS}
    for row in ENDPOINTS:
        band = bands[row]["typical"]
        assert band["low"] < band["center"] < band["high"] and 0 <= band["p_value"] <= 1
        assert band["current"] > 0 and band["runs"] == 8
    assert "typical ms (band; p)" in render_markdown(report)
