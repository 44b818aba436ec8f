"""python -m tools calibrate --ab: the trials it plans and the two models' draws (tools/calibration/ab.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from tools.calibration.ab import ABSettings, offset_of, phase_of, plan_trials


def test_every_design_gets_aa_trials_and_trials_per_slowdown_in_a_seeded_shuffled_order():
    settings = ABSettings(trials=3, slowdowns=(0.05, 0.2), designs=("paired", "blocks"), seed=7)
    trials = plan_trials(settings)
    assert Counter((t.design, t.slowdown) for t in trials) == {
        (design, slowdown): 3 for design in ("paired", "blocks") for slowdown in (0.0, 0.05, 0.2)
    }
    assert trials == plan_trials(settings)  # the same seed, the same order
    assert {t.name for t in trials} >= {"paired-aa-000", "blocks-slow5-002", "paired-slow20-001"}


def test_the_slow_phase_lies_within_the_run_and_the_offset_is_one_percent_either_way():
    for seed in range(200):
        start, length, factor = phase_of(seed, 120.0)
        assert start >= 5 and start + length <= 115 and 20 <= length <= 40 and 1.15 <= factor <= 1.5
    offsets = {round(offset_of(seed), 6) for seed in range(50)}
    assert offsets == {round(1.01, 6), round(1 / 1.01, 6)}


def test_an_unknown_model_or_design_is_refused():
    with pytest.raises(ValueError, match="unknown --ab model"):
        ABSettings(model="spike")
    with pytest.raises(ValueError, match="--designs takes paired, blocks"):
        ABSettings(designs=("groups",))
