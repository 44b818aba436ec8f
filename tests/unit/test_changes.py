"""Change points over the long history (loadtest.changes): the issue's measurement on synthetic
nightly histories (tests/synthetic_history.py: a real bundle's rows, scaled run by run under the
calibration's mixture model), the settings, and what is shown of untrusted names and commits."""

import json
import time

import pytest

from loadtest.changes.detect import find_changes, recent
from loadtest.changes.render import console_line, markdown, title
from loadtest.changes.rules import ChangeRules, change_rules
from loadtest.cli import changes as changes_cli
from loadtest.gate import GateInputError
from loadtest.gate.long_history import LONG_HISTORY, dumps
from loadtest.gate.thresholds import load_thresholds
from loadtest.text.untrusted import code_span
from tests.synthetic_history import STEP_ENDPOINT, Effect, commit_of, nightly_history

RULES = change_rules(load_thresholds())
NULL_SEEDS = range(101, 121)
TOLERANCE = 3
"""Runs either side of the true change within which a change point counts as found."""


def report(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n{line}")


def test_thresholds_json_sets_the_documented_defaults():
    assert ChangeRules() == RULES


def test_a_step_of_8_percent_at_run_200_is_found_with_its_commit_range(capsys):
    history = nightly_history(1, effect=Effect(size=0.08, start=200))
    started = time.perf_counter()
    points = find_changes(history, RULES)
    spent = time.perf_counter() - started
    step = [p for p in points if p.endpoint == STEP_ENDPOINT and p.metric == "typical"]
    false = [p for p in points if p not in step]
    report(
        capsys,
        f"step +8% at run 200: found at {[p.run_index for p in step]}, {len(false)} false; {spent:.2f} s",
    )
    assert len(step) == 1 and abs(step[0].run_index - 200) <= TOLERANCE
    found = step[0]
    assert found.last_before.commit == commit_of(1, found.run_index - 1)
    assert found.first_after.commit == commit_of(1, found.run_index)
    assert 0.05 < found.change < 0.12 and found.pvalue < RULES.max_pvalue
    assert not false


def test_a_creep_of_15_percent_over_100_runs_is_reported(capsys):
    history = nightly_history(2, effect=Effect(size=0.15, start=150, over=100))
    points = find_changes(history, RULES)
    creep = [p for p in points if p.endpoint == STEP_ENDPOINT and p.metric == "typical"]
    false = [p for p in points if p not in creep]
    report(
        capsys,
        f"creep +15% over runs 150-249: found at {sorted(p.run_index for p in creep)}, {len(false)} false",
    )
    assert creep and all(150 <= p.run_index <= 250 and p.worse for p in creep)
    assert not false


def test_a_failure_ratio_step_is_found_as_an_absolute_change():
    history = nightly_history(3, effect=Effect(size=0.02, start=200, metric="failure_ratio"))
    points = [p for p in find_changes(history, RULES) if p.metric == "failure_ratio"]
    assert [(p.endpoint, p.run_index) for p in points] == [(STEP_ENDPOINT, 200)]
    assert points[0].change == pytest.approx(0.02)
    assert "0.00% → 2.00% (+2.00 points)" in console_line(points[0])


def test_unchanged_histories_of_300_runs_give_no_change_point_in_at_least_19_of_20_seeds(capsys):
    started = time.perf_counter()
    with_points = [seed for seed in NULL_SEEDS if find_changes(nightly_history(seed), RULES)]
    spent = (time.perf_counter() - started) / len(NULL_SEEDS)
    report(capsys, f"unchanged, 20 seeds: {len(with_points)} with a change point; {spent:.2f} s a history")
    assert len(with_points) <= 1


def test_a_single_slow_night_is_not_a_change_point():
    history = nightly_history(4)
    runs = list(history.runs)
    slow = runs[150]
    runs[150] = type(slow)(
        **{**slow.__dict__, "rows": {n: (v[0] * 1.3, *v[1:]) for n, v in slow.rows.items()}}
    )
    assert find_changes(type(history)(runs=tuple(runs)), RULES) == []


def test_recent_keeps_the_last_days_of_change_points():
    history = nightly_history(1, effect=Effect(size=0.08, start=200))
    points = find_changes(history, RULES)
    assert recent(points, history, days=30) == []  # the step is 100 nights old
    assert recent(points, history, days=120) == points


def test_a_changes_section_must_give_each_value_a_reason(tmp_path):
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps({"changes": {"max_pvalue": {"value": 0.01}}}), encoding="utf-8")
    with pytest.raises(GateInputError, match="changes.max_pvalue"):
        load_thresholds(path)
    path.write_text(json.dumps({"changes": {"max_pvalue": {"value": 0.01, "reason": "r"}}}), encoding="utf-8")
    assert change_rules(load_thresholds(path)).max_pvalue == 0.01


def test_untrusted_names_and_commits_stay_inert():
    history = nightly_history(1, effect=Effect(size=0.08, start=200, endpoint="GET /api/dashboard/"))
    point = next(p for p in find_changes(history, RULES) if p.endpoint == "GET /api/dashboard/")
    hostile = type(point)(
        **{
            **point.__dict__,
            "endpoint": "GET /x/ @admin `tick` <b>\n::error::",
            "last_before": type(point.last_before)(commit="<script>", rows={}),
        }
    )
    text = markdown([hostile], days=30, runs=300)
    assert code_span(hostile.endpoint) in text and "<b>" not in text and "@admin" not in text
    assert "| ? (?) .." in text and "<script>" not in text
    assert "\n::error::" not in console_line(hostile) and "@\u200badmin" in title(hostile)


def test_a_preset_name_from_an_imported_history_stays_inert_in_the_issue_title():
    """The title's preset is the series' (a long history may be imported), not --preset's checked name."""
    history = nightly_history(1, effect=Effect(size=0.08, start=200, endpoint="GET /api/dashboard/"))
    point = next(p for p in find_changes(history, RULES) if p.endpoint == "GET /api/dashboard/")
    hostile = type(point)(**{**point.__dict__, "preset": "medium\n::error::x @org/team"})
    heading = title(hostile)
    assert "\n" not in heading and "@org" not in heading and "@\u200borg/team" in heading


def test_the_command_prints_the_change_points_and_writes_the_summary_section(tmp_path, capsys):
    baseline = tmp_path / "baseline"
    baseline.mkdir()
    history = nightly_history(1, effect=Effect(size=0.08, start=290))
    (baseline / LONG_HISTORY).write_text(dumps(history), encoding="utf-8")
    section = tmp_path / "changes.md"
    assert changes_cli.main([str(baseline), "--markdown", str(section)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("changes: 300 runs searched, 1 change points\nGET /api/dashboard/: typical time")
    assert section.read_text(encoding="utf-8").startswith(
        "### Change points\n\n1 change point in the last 30 days"
    )
    (baseline / LONG_HISTORY).write_text(dumps(nightly_history(101)), encoding="utf-8")
    assert changes_cli.main([str(baseline), "--markdown", str(section)]) == 0
    assert "No change in 30 days (300 runs of the long history searched)." in section.read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize("preset", [[], ["--preset", "Bad Name"]])
def test_an_issue_needs_a_presets_name(tmp_path, capsys, preset):
    baseline = tmp_path / "baseline"
    baseline.mkdir()
    (baseline / LONG_HISTORY).write_text(dumps(nightly_history(101, runs=20)), encoding="utf-8")
    assert changes_cli.main([str(baseline), "--issue", *preset], environ={}) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--issue needs --preset NAME" in err


def test_a_wild_last_night_does_not_hide_that_the_series_returned():
    stepped = nightly_history(1, runs=301, effect=Effect(size=0.30, start=290))
    back = nightly_history(1, runs=331).runs[301:]
    wild = back[-1]
    slow = {n: (v[0] * (5 if n == STEP_ENDPOINT else 1), *v[1:]) for n, v in wild.rows.items()}
    wild = type(wild)(**{**wild.__dict__, "rows": slow})
    history = type(stepped)(runs=stepped.runs + back[:-1] + (wild,))
    points = [p for p in find_changes(history, RULES) if p.endpoint == STEP_ENDPOINT]
    assert sorted(p.run_index for p in points) == [290, 301]
    assert not [p for p in points if p.run_index == 301 and p.worse]
