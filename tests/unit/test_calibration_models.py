"""The calibration's latency models, its judging as a real host, the peers it compares with, and its
Wilson intervals (no Locust run here)."""

import json
import math
import random
import statistics

import pytest

from loadtest.bundle import read_results
from loadtest.gate.history import History, run_from_results
from loadtest.gate.thresholds import load_thresholds
from loadtest.sandbox.faults import parse_rules
from tests.unit.test_gate_history_summary import write_bundle
from tools import calibration
from tools.calibration import LatencyModel, Settings, wilson_interval
from tools.calibration.judging import judging_thresholds
from tools.calibration.methods import t_test_flags
from tools.cli.calibrate import main

SLOWED = "GET /api/dashboard/"


@pytest.mark.parametrize(
    ("hits", "total", "low", "high"),
    [
        (0, 40, 0.0, 0.0876),  # 1.96^2 / (40 + 1.96^2)
        (1, 40, 0.0044, 0.1288),
        (20, 40, 0.3520, 0.6480),
        (38, 40, 0.8349, 0.9862),
        (40, 40, 0.9124, 1.0),
    ],
)
def test_wilson_intervals_match_known_values(hits, total, low, high):
    found = wilson_interval(hits, total)

    assert found == pytest.approx((low, high), abs=1e-4)


def test_the_mixture_model_draws_a_speed_factor_per_run_from_its_seed():
    model = LatencyModel(name="mixture")
    factors = [model.speed_factor(seed) for seed in range(400)]

    assert factors[:5] == [model.speed_factor(seed) for seed in range(5)], "the same seed, the same factor"
    assert statistics.stdev(math.log(f) for f in factors) == pytest.approx(0.04, rel=0.15)
    assert LatencyModel(name="lognormal").speed_factor(3) == 1.0
    assert LatencyModel(name="lognormal", run_spread=0.04).speed_factor(3) != 1.0


def test_the_speed_factor_scales_every_rule_and_the_slowdown_only_the_endpoint():
    model = LatencyModel(name="mixture")

    rules = calibration.faults_for(model, SLOWED, 0.2, factor=1.05)

    assert [(rule["match"], rule["scale"]) for rule in rules] == [(SLOWED, pytest.approx(1.26)), ("*", 1.05)]
    assert rules[0]["jitter"]["distribution"] == "mixture"
    assert parse_rules(rules)  # the stand-in takes them


def test_the_realistic_model_scales_the_profile_and_slows_the_endpoints_own_rule():
    model = LatencyModel(name="realistic", realistic_scale=0.1)

    rules = calibration.faults_for(model, SLOWED, 0.1)
    dashboard = [rule for rule in rules if rule["match"] == SLOWED]

    assert [rule["scale"] for rule in dashboard] == [pytest.approx(0.11), pytest.approx(0.1)]
    assert dashboard[0]["jitter"] == dashboard[1]["jitter"]
    assert dashboard[0]["jitter"]["distribution"] == "quantiles"
    assert len(rules) == 14  # 13 endpoints and the slowed copy first


def test_an_unknown_model_or_a_bad_mixture_is_refused():
    with pytest.raises(ValueError, match="unknown latency model 'gauss'"):
        LatencyModel(name="gauss")
    with pytest.raises(ValueError, match="second_weight must be"):
        LatencyModel(name="mixture", mixture={**calibration.models.MIXTURE, "second_weight": 0.9})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "gauss"], "invalid choice: 'gauss'"),
        (["--model", "mixture", "--mixture", "50:2:3"], "expected MEDIAN_MS:P95_RATIO"),
        (["--model", "mixture", "--mixture", "50:2:3:0.7:10:0.01"], "second_weight must be"),
        (["--run-spread", "x"], "expected a percentage"),
        (["--realistic-scale", "0"], "expected a scale above 0"),
        (["--judge-only", "--out", "does-not-exist"], "no such run"),
    ],
)
def test_bad_options_are_usage_errors_in_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main(args)

    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_runs_are_judged_with_a_real_hosts_thresholds(tmp_path):
    settings = Settings(out=tmp_path)

    path = judging_thresholds(settings)
    as_sandbox = load_thresholds(path).rules_for(preset="smoke", target="sandbox")
    external = load_thresholds().rules_for(preset="smoke", target="external")

    assert as_sandbox.regression == external.regression
    targets = json.loads(path.read_text(encoding="utf-8"))["targets"]
    assert targets["sandbox"] == targets.get("external", {})  # the stand-in's section is a real host's
    assert judging_thresholds(Settings(out=tmp_path, judge_as="sandbox")) == settings.thresholds


def test_the_t_test_flags_a_metric_above_the_historys_mean_plus_t_sd(tmp_path):
    rng = random.Random(8)
    runs = [read_results(write_bundle(tmp_path / f"h{i}", rng, str(i))) for i in range(8)]
    history = History(runs=tuple(run_from_results(run) for run in runs))
    slowed = read_results(write_bundle(tmp_path / "slow", rng, "s", slow={SLOWED: 1.6}))
    unchanged = read_results(write_bundle(tmp_path / "same", rng, "u"))

    assert (SLOWED, "p50", "fail") in t_test_flags(slowed, history, 20, per_run=None)
    assert t_test_flags(unchanged, history, 20, per_run=0.03) == []
