"""The calibration's plan, rules and tally, judged on synthetic bundles (no Locust run here)."""

import random

import pytest

from loadtest.bundle import read_results
from tests.unit.test_gate_history_summary import write_bundle
from tools import calibration
from tools.calibration import LatencyModel, Measured, RunSpec, Settings, Tally
from tools.cli import calibrate

SLOWED = "GET /api/dashboard/"


def test_the_plan_has_k_plus_t_unchanged_runs_and_t_per_slowdown_in_a_seeded_order():
    settings = Settings(history_runs=3, trials=2, slowdowns=(0.1, 0.5), seed=7)

    runs = calibration.plan_runs(settings)

    assert sorted(runs, key=lambda r: (r.slowdown, r.index)) == [
        *(RunSpec(0.0, i) for i in range(5)),
        *(RunSpec(0.1, i) for i in range(2)),
        *(RunSpec(0.5, i) for i in range(2)),
    ]
    assert runs == calibration.plan_runs(settings)
    assert runs != sorted(runs, key=lambda r: (r.slowdown, r.index))


def test_independent_histories_are_runs_of_their_own_and_the_trials_need_no_rolling_history():
    settings = Settings(history_runs=3, trials=2, slowdowns=(0.1,), histories=2, seed=7)

    runs = calibration.plan_runs(settings)

    assert sorted(runs, key=lambda r: (r.history is not None, r.history or 0, r.slowdown, r.index)) == [
        *(RunSpec(0.0, i) for i in range(2)),
        *(RunSpec(0.1, i) for i in range(2)),
        *(RunSpec(0.0, i, 0) for i in range(3)),
        *(RunSpec(0.0, i, 1) for i in range(3)),
    ]


def test_judge_only_finds_the_independent_histories_runs_and_names_a_missing_one(tmp_path):
    settings = Settings(history_runs=2, trials=1, slowdowns=(0.1,), histories=2, out=tmp_path)
    for spec in calibration.plan_runs(settings):
        (tmp_path / "runs" / spec.name).mkdir(parents=True)

    measured = calibration.measured_from(settings)

    assert [[p.name for p in h] for h in measured.histories] == [
        ["history1-000", "history1-001"],
        ["history2-000", "history2-001"],
    ]
    assert [p.name for p in measured.unchanged] == ["unchanged-000"]
    (tmp_path / "runs" / "history2-001").rmdir()
    with pytest.raises(FileNotFoundError, match="history2-001: no such run"):
        calibration.measured_from(settings)


def test_methods_can_be_narrowed_to_this_gate_and_the_named_ones():
    found = calibration.methods.methods("external", variants=True, only=("own runner noise",))

    assert list(found) == [
        calibration.THIS_GATE,
        "variant: each endpoint's own runner noise, not pooled",
    ]


def test_the_heavy_model_gives_each_endpoint_its_own_median_from_100_to_300_ms():
    rules = calibration.faults_for(LatencyModel(name="heavy"), SLOWED, 0.0)
    medians = sorted(rule["jitter"]["median_ms"] for rule in rules)

    assert len(rules) == 13 and medians[0] == 100 and medians[-1] == 300
    assert all(rule["jitter"]["tail_ratio"] == 15 for rule in rules)
    assert LatencyModel(name="heavy").spread == 0.08 and LatencyModel(name="reported").spread == 0.06


def test_every_endpoint_gets_heavy_tailed_latency_and_the_slowed_one_is_scaled_first():
    model = LatencyModel(name="lognormal")
    lognormal = {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5}

    assert calibration.faults_for(model, SLOWED, 0.0) == [{"match": "*", "jitter": lognormal}]
    assert calibration.faults_for(model, SLOWED, 0.2) == [
        {"match": SLOWED, "jitter": lognormal, "scale": 1.2},
        {"match": "*", "jitter": lognormal},
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (RunSpec(0.0, 3), "unchanged-003"),
        (RunSpec(0.2, 11), "slow20-011"),
        (RunSpec(0.0, 4, history=1), "history2-004"),
    ],
)
def test_run_folders_are_named_for_what_they_measure(name, expected):
    assert name.name == expected


def test_the_smallest_detected_slowdown_needs_95_percent_detection_at_5_percent_false_alarms():
    tally = Tally(
        false_alarms=1, aa_trials=20, detected={0.1: 12, 0.2: 19, 0.3: 20}, trials={0.1: 20, 0.2: 20, 0.3: 20}
    )
    noisy = Tally(false_alarms=2, aa_trials=20, detected={0.1: 20}, trials={0.1: 20})

    assert tally.smallest_detected([0.1, 0.2, 0.3]) == 0.2
    assert noisy.smallest_detected([0.1]) is None


@pytest.fixture
def measured(tmp_path):
    """Five unchanged runs and two runs with the dashboard 1.6 times slower."""
    rng = random.Random(3)
    unchanged = [write_bundle(tmp_path / f"u{i}", rng, str(i)) for i in range(5)]
    slowed = [write_bundle(tmp_path / f"s{i}", rng, "s", slow={SLOWED: 1.6}) for i in range(2)]
    return Measured(unchanged, {0.6: slowed}, wall_s=0.0, cpu_s=0.0, cpu_warnings=0)


def test_judging_counts_false_alarms_and_detections_for_every_method(tmp_path, measured):
    settings = Settings(history_runs=3, trials=2, slowdowns=(0.6,), out=tmp_path / "cal")
    (tmp_path / "cal").mkdir()

    outcome = calibration.judge(settings, measured, progress=lambda _: None)

    assert set(outcome.tallies) == {
        calibration.THIS_GATE,
        calibration.FIXED,
        "t-test on per-run values (Bencher), 99% per metric",
        "t-test on per-run values, 2% per run (Bonferroni)",
        "ratio 200% vs previous run (github-action-benchmark's default)",
        "ratio 130% vs previous run",
        "ratio 120% vs previous run",
    }
    assert all(t.aa_trials == 2 and t.trials == {0.6: 2} for t in outcome.tallies.values())
    assert outcome.tallies[calibration.THIS_GATE].detected == {0.6: 2}
    assert outcome.tallies[calibration.THIS_GATE].false_alarms == 0
    assert len(list((tmp_path / "cal" / "baselines").iterdir())) == 4


def test_every_trial_is_judged_against_each_independent_history(tmp_path, measured):
    """Two histories of three runs each; one A/A trial; the slowed runs are judged against both."""
    rng = random.Random(5)
    histories = [[write_bundle(tmp_path / f"h{h}-{i}", rng, f"{h}{i}") for i in range(3)] for h in range(2)]
    two = Measured(measured.unchanged[4:], measured.slowed, 0.0, 0.0, 0, histories=histories)
    settings = Settings(history_runs=3, trials=1, slowdowns=(0.6,), histories=2, out=tmp_path / "cal")

    outcome = calibration.judge(settings, two, progress=lambda _: None)
    text = calibration.render_report(outcome)

    assert len(outcome.per_history) == 2
    assert all(t[calibration.THIS_GATE].aa_trials == 1 for t in outcome.per_history)
    assert [t[calibration.THIS_GATE].trials for t in outcome.per_history] == [{0.6: 2}, {0.6: 2}]
    assert outcome.tallies[calibration.THIS_GATE].trials == {0.6: 4}
    assert "the same trials against each history" in text and "every method against history 2" in text
    assert "history 2: run-to-run over sampling variance pooled across endpoints" in text


def test_judging_only_some_methods_still_reports(tmp_path, measured):
    settings = Settings(
        history_runs=3,
        trials=2,
        slowdowns=(0.6,),
        out=tmp_path / "cal",
        variants=True,
        methods=("own runner",),
    )

    outcome = calibration.judge(settings, measured, progress=lambda _: None)

    assert len(outcome.tallies) == 2
    assert "own runner noise" in calibration.render_report(outcome)


def test_the_naive_rule_flags_any_metric_over_the_ratio(measured):
    current, previous = read_results(measured.slowed[0.6][0]), read_results(measured.unchanged[0])

    flags = calibration.naive_flags(current, previous, 1.3, min_requests=20)

    assert (SLOWED, "p50", "fail") in flags
    assert calibration.naive_flags(previous, previous, 1.0, min_requests=20) == []


def test_the_table_shows_counts_and_rates_side_by_side(tmp_path, measured):
    tallies = {
        "history": Tally(false_alarms=1, any_flags=2, aa_trials=40, detected={0.2: 39}, trials={0.2: 40}),
        "ratio 200%": Tally(aa_trials=40, detected={0.2: 0}, trials={0.2: 40}),
    }
    outcome = calibration.Outcome(Settings(), Measured([], {0.2: []}, 0, 0, 0), tallies, {})

    assert calibration.render_table(outcome).splitlines() == [
        "| method     | false alarms (fail)   | any flag (warn too)   | detected at +20%     |",
        "|------------|-----------------------|-----------------------|----------------------|",
        "| history    | 1/40 (2.5%; 0.4–13%)  | 2/40 (5.0%; 1.4–17%)  | 39/40 (98%; 87–100%) |",
        "| ratio 200% | 0/40 (0%; 0–8.8%)     | 0/40 (0%; 0–8.8%)     | 0/40 (0%; 0–8.8%)    |",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slowdowns", "x"], "expected percentages"),
        (["--slowdowns", "-10"], "expected positive percentages"),
        (["-K", "0"], "must be a whole number >= 1"),
        (["--preset", "nope"], "choose one of"),
    ],
)
def test_bad_options_are_usage_errors(args, message, call_main):
    done = call_main(calibrate.main, *args)

    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
