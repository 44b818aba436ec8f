"""The summary with a baseline history: exact markdown for a band that fires, and for a history too short.

Bundles are written from seeded lognormal samples (median 50 ms, p95 2.5 x median, rounded as
Locust rounds), so they are the same on every machine; the expected summaries are
tests/fixtures/gate/expected/history-*.md.
"""

import json
import math
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest.bundle import AGGREGATE, read_results
from loadtest.gate import render_markdown, run_gate, verdict_json
from loadtest.gate.history import History, dumps, run_from_results
from loadtest.gate.regression_findings import RUNNER_WIDE_REASON
from tests.conftest import GATE_FIXTURES

NOW = datetime(2026, 11, 25, 11, 34, tzinfo=UTC)
ENDPOINTS = {
    "GET /api/dashboard/": 400,
    "GET /api/dashboard/v2/search/": 300,
    "POST /api/accounts/sign-in/": 60,
}
HISTORY = {
    "min_runs": 3,
    "keep": 20,
    "center_runs": 10,
    "warn": {"false_alarm_rate": 0.05, "relative": 0.05, "absolute_ms": 2},
    "fail": {"false_alarm_rate": 0.05, "relative": 0.10, "absolute_ms": 5},
    "reason": "Above the band of the history.",
}


def write_bundle(
    folder: Path, rng: random.Random, commit: str, *, slow: dict[str, float] | None = None
) -> Path:
    """A results bundle (run.json, stats CSV, Locust --json-file histograms) of lognormal responses."""
    folder.mkdir(parents=True)
    entries, lines = [], []
    for name, requests in ENDPOINTS.items():
        method, path = name.split(" ")
        factor = (slow or {}).get(name, 1.0)
        times = [50 * factor * math.exp(rng.gauss(0, 0.557)) for _ in range(requests)]
        histogram: dict[str, int] = {}
        for ms in times:
            bucket = round(ms) if ms < 100 else round(ms, -1) if ms < 1000 else round(ms, -2)
            histogram[str(int(bucket))] = histogram.get(str(int(bucket)), 0) + 1
        entries.append(
            {
                "name": path,
                "method": method,
                "num_requests": requests,
                "num_failures": 0,
                "num_none_requests": 0,
                "total_response_time": sum(times),
                "max_response_time": max(times),
                "response_times": histogram,
                "start_time": 1_000.0,
                "last_request_timestamp": 1_120.0,
            }
        )
        lines.append(
            f"{method},{path},{requests},0,{sum(times) / requests:.1f},{max(times):.1f},{requests / 120:.4f}"
        )
    total = sum(ENDPOINTS.values())
    lines.append(f",Aggregated,{total},0,0,0,{total / 120:.4f}")
    header = "Type,Name,Request Count,Failure Count,Average Response Time,Max Response Time,Requests/s"
    (folder / "locust_stats.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    (folder / "locust.json").write_text(json.dumps(entries), encoding="utf-8")
    facts = {
        "preset": "smoke",
        "users": 10,
        "run_time_s": 120.0,
        "target": "sandbox",
        "git_commit": commit * 40,
        "ended_at": "2026-11-25T10:00:00Z",
        "endpoints": list(ENDPOINTS),
    }
    (folder / "run.json").write_text(json.dumps(facts), encoding="utf-8")
    return folder


def baseline_with_history(tmp_path: Path, rng: random.Random, runs: int) -> Path:
    history = History()
    for n in range(runs):
        bundle = write_bundle(tmp_path / f"run-{n}", rng, str(n))
        history = history.rolled(run_from_results(read_results(bundle)))
    (bundle / "history.json").write_text(dumps(history), encoding="utf-8")
    return bundle


@pytest.fixture
def thresholds(tmp_path):
    document = json.loads((GATE_FIXTURES / "thresholds.json").read_text(encoding="utf-8"))
    document["regression"]["history"] = HISTORY
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def expected(name: str) -> str:
    return (GATE_FIXTURES / "expected" / f"{name}.md").read_text(encoding="utf-8")


def test_a_slowed_endpoint_is_shown_against_its_band(tmp_path, thresholds):
    rng = random.Random(4)
    baseline = baseline_with_history(tmp_path, rng, 8)
    current = write_bundle(tmp_path / "current", rng, "c", slow={"GET /api/dashboard/": 1.5})

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert report.history_runs == 8
    assert report.verdict == "fail"
    assert {(f.scope, f.metric) for f in report.findings if f.level == "fail"} >= {
        ("GET /api/dashboard/", "typical")
    }
    assert render_markdown(report) == expected("history-fail")


def test_an_unchanged_run_passes_against_its_band(tmp_path, thresholds):
    rng = random.Random(5)
    baseline = baseline_with_history(tmp_path, rng, 8)
    current = write_bundle(tmp_path / "current", rng, "c")

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert [f for f in report.findings if f.kind == "regression"] == []
    assert verdict_json(report)["history_runs"] == 8


def test_a_history_too_short_falls_back_and_says_so(tmp_path, thresholds):
    rng = random.Random(4)
    baseline = baseline_with_history(tmp_path, rng, 2)
    current = write_bundle(tmp_path / "current", rng, "c", slow={"GET /api/dashboard/": 1.5})

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert report.history_runs == 0
    assert {f.source for f in report.findings} >= {"regression.latency.fail"}
    assert render_markdown(report) == expected("history-too-short")


def test_a_baseline_without_history_says_the_band_needs_three_runs(tmp_path, thresholds):
    rng = random.Random(4)
    baseline = write_bundle(tmp_path / "baseline", rng, "b")
    current = write_bundle(tmp_path / "current", rng, "c")

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert any("has no history (history.json)" in note for note in report.notes)


def test_history_runs_with_other_settings_are_named_and_left_out(tmp_path, thresholds):
    rng = random.Random(4)
    baseline = baseline_with_history(tmp_path, rng, 4)
    history = json.loads((baseline / "history.json").read_text(encoding="utf-8"))
    history["runs"][0]["users"] = 50
    (baseline / "history.json").write_text(json.dumps(history), encoding="utf-8")
    current = write_bundle(tmp_path / "current", rng, "c")

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert report.history_runs == 3
    assert "Left out of the baseline history, other settings: users 50." in report.notes


def test_a_broken_history_is_unusable_input(tmp_path, thresholds):
    from loadtest.gate import GateInputError

    baseline = baseline_with_history(tmp_path, random.Random(4), 3)
    (baseline / "history.json").write_text("[]", encoding="utf-8")

    with pytest.raises(GateInputError, match="baseline: .*history.json: expected an object"):
        run_gate(baseline, baseline=baseline, thresholds_path=thresholds, now=NOW)


def test_the_aggregate_is_judged_against_its_history_too(tmp_path, thresholds):
    rng = random.Random(4)
    baseline = baseline_with_history(tmp_path, rng, 8)
    slow_everything = {name: 1.5 for name in ENDPOINTS}
    current = write_bundle(tmp_path / "current", rng, "c", slow=slow_everything)

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert any(f.scope == AGGREGATE and f.source == "regression.history.fail" for f in report.findings)


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
