"""trend.html draws a baseline's long history (loadtest.trend.long): each row's typical time over the
last 30, the last 90 or all runs, its change points as dashed lines with the change on hover.

The page is checked as text here; tests/integration/test_trend_in_browser.py opens one in Chromium.
"""

import random
import re
import shutil

import pytest

from loadtest.bundle import AGGREGATE, TREND_PAGE, read_results
from loadtest.changes import detect
from loadtest.changes.detect import DetectorMissing
from loadtest.changes.rules import change_rules
from loadtest.cli import compare, record_baseline
from loadtest.gate.history import History, read_history, run_from_results
from loadtest.gate.long_history import LONG_HISTORY, LongHistory, LongRun, dumps
from loadtest.gate.thresholds import load_thresholds
from loadtest.text.untrusted import html_text
from loadtest.trend import long_view, page_for_baseline, render_page
from tests.conftest import GATE_FIXTURES
from tests.synthetic_history import STEP_ENDPOINT, Effect, commit_of, nightly_history
from tests.unit import test_gate_history_summary as seeded
from tests.unit.test_trend_page import sections

RULES = change_rules(load_thresholds())
STEP = Effect(size=0.3, start=150)


def recorded() -> History:
    """A baseline's short history: the run it was recorded from (four endpoints and the aggregate)."""
    return History().rolled(run_from_results(read_results(GATE_FIXTURES / "baseline")))


@pytest.fixture(scope="module")
def page() -> str:
    history = nightly_history(1, runs=200, effect=STEP)
    return render_page(page_for_baseline(recorded(), long=long_view(history, RULES)))


def long_charts(section: str) -> dict[str, str]:
    """A section's long-history figures by range, with ``hidden`` kept in the key when set."""
    found = re.findall(r'<figure class="long" data-range="(\w+)"( hidden)?>(.*?)</figure>', section, re.S)
    return {key + hidden: chart for key, hidden, chart in found}


def drawn_runs(chart: str) -> int:
    return sum(len(line.split()) for line in re.findall(r'<polyline class="series" points="([^"]*)"', chart))


def test_a_range_selector_picks_the_last_30_the_last_90_or_all_runs(page):
    assert re.search(
        r'<select id="range">\n<option value="30">last 30 runs</option>\n'
        r'<option value="90">last 90 runs</option>\n<option value="all" selected>all runs</option>',
        page,
    )
    rows = sections(page)
    assert len(rows) == 5
    for name, section in rows.items():
        charts = long_charts(section)
        assert list(charts) == ["30 hidden", "90 hidden", "all"], name
        assert [drawn_runs(charts[key]) for key in charts] == [30, 90, 200], name
    assert "figure.long" in page and 'range.addEventListener("change"' in page


def test_the_step_is_a_dashed_line_with_the_change_the_day_and_the_commits_on_hover(page):
    rows = sections(page)
    charts = long_charts(rows[STEP_ENDPOINT])
    (hover,) = re.findall(r'<g class="change worse"><title>(.*?)</title>', charts["all"])
    day = nightly_history(1, runs=151).runs[150].ended_at[:10]
    assert re.match(
        rf"{STEP_ENDPOINT}: typical time [\d.]+ ms → [\d.]+ ms \(\+(2\d|3\d)\.\d%\) from {day}, ", hover
    )
    assert f"between {commit_of(1, 149)[:7]} " in hover and f".. {commit_of(1, 150)[:7]} ({day})" in hover
    assert re.findall(r'<g class="change', charts["90 hidden"]) and "change" not in charts["30 hidden"]
    others = [name for name in rows if name != STEP_ENDPOINT]
    assert others and not any('class="change' in rows[name] for name in others)
    assert "200 runs of medium on sandbox, 1 change point of the typical time" in page


def test_names_and_commits_from_the_file_are_escaped(tmp_path, monkeypatch):
    hostile = "GET /api/<script>alert(1)</script>&\"'\u202eSSAP"
    monkeypatch.setattr(seeded, "ENDPOINTS", {hostile: 400})
    short = read_history(seeded.baseline_with_history(tmp_path, random.Random(7), 1) / "history.json")
    runs = tuple(
        LongRun(
            commit=f"<b>{n}</b>",
            ended_at="2026-11-01T02:00:00Z",
            preset="medium",
            target="<i>x</i>",
            rows={AGGREGATE: (10.0 + n % 3, 10, 20, 30, 5, 0), hostile: (5.0 + n % 2, 5, 9, 9, 1, 0)},
        )
        for n in range(12)
    )
    view = long_view(LongHistory(runs=runs), RULES)
    text = render_page(page_for_baseline(short, long=view))
    charts = long_charts(sections(text)[html_text(hostile)])
    assert drawn_runs(charts["all"]) == 12 and "commit ? · ended 2026-11-01" in charts["30 hidden"]
    assert "<script>alert" not in text and "<b>" not in text and "<i>x" not in text
    assert "12 runs of medium on &lt;i&gt;x&lt;/i&gt;" in text and "\u202e" not in text


def test_without_the_detector_the_runs_are_drawn_and_the_page_says_why(monkeypatch):
    def missing():
        raise DetectorMissing("change points need apache-otava")

    monkeypatch.setattr(detect, "_otava", missing)
    history = nightly_history(1, runs=200, effect=STEP)
    text = render_page(page_for_baseline(recorded(), long=long_view(history, RULES)))
    assert 'class="change' not in text and "No change points: change points need apache-otava" in text
    assert drawn_runs(long_charts(sections(text)[STEP_ENDPOINT])["all"]) == 200


def test_a_series_the_detector_cannot_take_costs_the_markers_not_the_page(monkeypatch):
    def broken(*args, **kwargs):
        raise FloatingPointError("divide by zero <b>@team</b>")

    monkeypatch.setattr("loadtest.trend.long.find_changes", broken)
    history = nightly_history(1, runs=200, effect=STEP)
    text = render_page(page_for_baseline(recorded(), long=long_view(history, RULES)))
    assert 'class="change' not in text and "Change points could not be searched: divide by zero" in text
    assert "<b>@team</b>" not in text  # the detector's words are text too
    assert drawn_runs(long_charts(sections(text)[STEP_ENDPOINT])["all"]) == 200


def test_record_baseline_draws_the_long_history_in_the_baselines_page(tmp_path):
    previous = tmp_path / "previous"
    shutil.copytree(GATE_FIXTURES / "baseline", previous)
    history = nightly_history(1, runs=120, effect=Effect(size=0.3, start=80), preset="smoke")
    (previous / LONG_HISTORY).write_text(dumps(history), encoding="utf-8")
    out = tmp_path / "next"
    argv = [str(GATE_FIXTURES / "pass"), "--previous", str(previous), "--out", str(out)]
    assert record_baseline.main(argv) == 0
    text = (out / TREND_PAGE).read_text(encoding="utf-8")
    assert '<select id="range">' in text and "121 runs of smoke on sandbox" in text
    assert re.search(rf"<title>{STEP_ENDPOINT}: typical time [\d.]+ ms → ", text)


@pytest.fixture
def stepped_baseline(tmp_path):
    """A baseline whose long history holds a +30% step of the smoke preset on the stand-in."""
    baseline = tmp_path / "baseline"
    shutil.copytree(GATE_FIXTURES / "baseline", baseline)
    history = nightly_history(1, runs=120, effect=Effect(size=0.3, start=80), preset="smoke")
    (baseline / LONG_HISTORY).write_text(dumps(history), encoding="utf-8")
    return baseline


def test_a_run_judged_against_the_baseline_draws_its_long_history_with_this_run_added(
    stepped_baseline, tmp_path
):
    # A nightly that fails records no baseline: its own trend.html is where tonight's run is seen.
    page = tmp_path / "trend.html"
    argv = [str(GATE_FIXTURES / "pass"), "--baseline", str(stepped_baseline), "--trend", str(page)]
    assert compare.main(argv) in (0, 1)
    text = page.read_text(encoding="utf-8")
    assert '<select id="range">' in text and "121 runs of smoke on sandbox" in text
    assert re.search(rf"<title>{STEP_ENDPOINT}: typical time [\d.]+ ms → ", text)


def test_a_long_history_that_cannot_be_read_leaves_the_verdict_and_the_page_as_without_one(
    stepped_baseline, tmp_path
):
    argv = [str(GATE_FIXTURES / "pass"), "--baseline", str(stepped_baseline), "--trend"]
    assert compare.main([*argv, str(tmp_path / "good.html")]) == (expected := compare.main(argv[:3]))
    (stepped_baseline / LONG_HISTORY).write_text('{"schema": 1, "runs": [NaN]}', encoding="utf-8")
    assert compare.main([*argv, str(tmp_path / "bad.html")]) == expected
    text = (tmp_path / "bad.html").read_text(encoding="utf-8")
    assert '<select id="range">' not in text and "Load test trend" in text
