"""Runs are compared only when they share the settings that shape their load, waits included."""

import json
import shutil
from pathlib import Path

import pytest

from loadtest.bundle import RunFacts, read_results
from loadtest.gate import render_markdown, run_gate
from tests.conftest import GATE_FIXTURES


def bundle_with(tmp_path: Path, name: str, **facts) -> Path:
    target = tmp_path / name
    shutil.copytree(GATE_FIXTURES / name, target)
    run = json.loads((target / "run.json").read_text())
    (target / "run.json").write_text(json.dumps(run | facts))
    return target


def test_waits_are_read_from_run_json(tmp_path):
    facts = read_results(bundle_with(tmp_path, "pass", wait_min_s=0.05, wait_max_s=0.15)).facts
    assert (facts.wait_min_s, facts.wait_max_s) == (0.05, 0.15)
    same_but_the_preset = RunFacts(preset=facts.preset, wait_min_s=0.05)
    assert facts.mismatches(same_but_the_preset) == []
    (mismatch,) = facts.mismatches(same_but_the_preset, preset="stress")
    assert mismatch.describe() == f"preset stress here, {facts.preset} in the baseline"


def test_a_baseline_with_other_waits_is_not_compared_and_the_summary_says_why(tmp_path):
    current = bundle_with(tmp_path, "pass", wait_min_s=0.05, wait_max_s=0.15)
    baseline = bundle_with(tmp_path, "baseline", wait_min_s=1.0, wait_max_s=3.0)
    report = run_gate(current, baseline=baseline, thresholds_path=GATE_FIXTURES / "thresholds.json")
    assert report.baseline_status == "skipped"
    markdown = render_markdown(report)
    assert "shortest wait 0.05 s here, 1 s in the baseline" in markdown
    assert "longest wait 0.15 s here, 3 s in the baseline" in markdown


@pytest.mark.parametrize("recorded", [{}, {"wait_min_s": 0.05, "wait_max_s": 0.15}])
def test_same_or_unrecorded_waits_are_compared(tmp_path, recorded):
    current = bundle_with(tmp_path, "pass", **recorded)
    baseline = bundle_with(tmp_path, "baseline", **recorded)
    report = run_gate(current, baseline=baseline, thresholds_path=GATE_FIXTURES / "thresholds.json")
    assert report.baseline_status == "compared"
