"""The history in the summary: the report's trend, the Mermaid charts and the per-endpoint sparklines.

Bundles are the seeded lognormal ones of test_gate_history_summary (the same on every machine).
"""

import json
import random
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from loadtest.bundle import AGGREGATE
from loadtest.gate import render_markdown, run_gate
from loadtest.gate.regression_findings import missing_from_run
from loadtest.gate.render import charts
from loadtest.gate.stats import TYPICAL
from loadtest.text.summary_limits import MAX_COMMENT_CHARS, MAX_SUMMARY_CHARS
from loadtest.text.untrusted import chart_label, code_span
from tests.conftest import GATE_FIXTURES
from tests.github_markdown import rendered
from tests.unit import test_gate_history_summary as seeded
from tests.unit.test_gate_history_summary import NOW, baseline_with_history, write_bundle

DASHBOARD = "GET /api/dashboard/"
MERMAID_BLOCK = re.compile(r"```mermaid\n(.*?)```", re.S)


def history_thresholds(folder: Path) -> Path:
    """The gate's test thresholds plus test_gate_history_summary's history rule, written in ``folder``."""
    document = json.loads((GATE_FIXTURES / "thresholds.json").read_text(encoding="utf-8"))
    document["regression"]["history"] = seeded.HISTORY
    path = folder / "thresholds.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.fixture
def thresholds(tmp_path):
    return history_thresholds(tmp_path)


def judged(tmp_path, thresholds, *, seed: int, runs: int, slow: dict[str, float] | None = None):
    rng = random.Random(seed)
    baseline = baseline_with_history(tmp_path, rng, runs)
    current = write_bundle(tmp_path / "current", rng, "c", slow=slow)
    return run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)


def blocks(markdown: str) -> list[str]:
    return MERMAID_BLOCK.findall(markdown)


def plotted_lines(block: str) -> list[list[float]]:
    return [
        [float(v) for v in line.split("[")[1].rstrip("]").split(",")]
        for line in re.findall(r"line \[.*", block)
    ]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], ""),
        ([None, None], ""),
        ([50.0, 50.0, 50.0], "▁▁▁"),
        ([50.0, 50.0, 50.0, 100.0], "▁▁▁█"),
        ([100.0, 103.0, 98.0, 101.0], "▂▂▁▂"),  # noise of a few percent stays at the bottom
        ([120.0, None, 125.0, 160.0], "▁·▂█"),
        ([200.0, 100.0], "█▁"),
    ],
)
def test_a_sparkline_scales_to_its_values_with_a_floor_for_noise(values, expected):
    assert charts.sparkline(values) == expected


@pytest.mark.parametrize(
    ("value", "top"),
    [(0.0, 1.0), (0.7, 0.8), (7.0, 8.0), (11.0, 12.0), (176.0, 200.0), (201.0, 250.0), (910.0, 1000.0)],
)
def test_the_y_axis_ends_on_a_round_number(value, top):
    assert charts.nice_ceiling(value) == top


def test_sparklines_share_one_scale_so_noise_stays_low_beside_a_step():
    series = {"quiet": [100.0, 105.0, 95.0, 100.0, 110.0], "step": [50.0, 50.0, 51.0, 50.0, 75.0]}
    report = SimpleNamespace(trend=SimpleNamespace(series=lambda row, metric: series[row]))

    common = charts.sparklines(report, list(series), "p95")

    assert common == {"quiet": "▂▂▁▂▃", "step": "▁▁▁▁█"}
    assert charts.sparkline(series["quiet"]) == "▂▄▁▂▅"  # its own scale: 10% noise half-way up


@pytest.mark.parametrize("highest", [0.3, 5.5, 45.0, 57.0, 74.0, 100.0, 130.0, 480.0, 690.0])
def test_the_mermaid_y_axis_gets_few_ticks_and_room_above_the_data(highest):
    top = charts.axis_top(highest)

    assert highest * 1.05 <= top <= highest * 1.6
    assert charts.d3_tick_count(top) <= 8  # d3 aims at ten ticks: 13 for 0-120, 8 for 0-78


def test_the_report_exposes_the_history_series_and_the_bands_the_decision_used(tmp_path, thresholds):
    report = judged(tmp_path, thresholds, seed=7, runs=10, slow={DASHBOARD: 1.2})

    trend = report.trend
    assert trend is not None and trend.history_runs == 10
    assert len(trend.series(AGGREGATE, "p95")) == 11
    assert trend.series(DASHBOARD, "p95")[-1] == report.results.endpoints[DASHBOARD].value("p95")
    typical = trend.series(DASHBOARD, TYPICAL)
    assert len(typical) == 11 and all(40 < value < 75 for value in typical)
    assert typical[-1] == pytest.approx(trend.band(DASHBOARD, TYPICAL).current)
    flagged = next(f for f in report.findings if f.scope == DASHBOARD and f.metric == TYPICAL)
    band = trend.band(DASHBOARD, TYPICAL)
    # The chart's band is the one the finding states: same centre, same high edge, same level.
    assert (band.center, band.high, band.level, band.runs) == (flagged.baseline, flagged.limit, "fail", 10)


def test_a_20_percent_slowdown_against_10_runs_shows_as_a_step_in_the_chart_and_the_sparkline(
    tmp_path, thresholds
):
    report = judged(tmp_path, thresholds, seed=7, runs=10, slow={DASHBOARD: 1.2})

    markdown = render_markdown(report)

    row = next(line for line in markdown.splitlines() if line.startswith(f"| ❌ {DASHBOARD} |"))
    spark = row.rstrip(" |").split("|")[-1].strip()
    assert len(spark) == 11
    assert spark[-1] >= "▇" and max(spark[:-1]) <= "▃", spark
    assert "<details>\n<summary>Trend" not in markdown
    endpoint, aggregate = blocks(markdown)  # the failing endpoint's chart first
    assert f"**`{DASHBOARD}` typical response time** (ms), 10 earlier runs then this run, in blue" in markdown
    assert f'title "{DASHBOARD} · typical response time · grey: band ' in endpoint
    assert 'title "aggregate · typical response time' in aggregate
    measured, high, low = plotted_lines(endpoint)
    history, current = measured[:-1], measured[-1]
    assert len(measured) == 11 and '10,"this run"]' in endpoint
    # The step: every earlier run inside the band's flat edges, this run above them, by over 10%.
    assert set(high) == {high[0]} and set(low) == {low[0]}
    assert all(low[0] <= value <= high[0] for value in history) and current > high[0]
    assert current >= 1.15 * sorted(history)[5]


def test_a_passing_run_has_no_chart_in_its_comment(tmp_path, thresholds):
    report = judged(tmp_path, thresholds, seed=5, runs=8)

    markdown = render_markdown(report)

    assert report.verdict == "pass" and charts.charts_for(report)  # there would be one to draw
    assert blocks(markdown) == [] and "Trend" not in markdown


def test_a_warning_with_no_charted_metric_folds_its_chart_away(tmp_path, thresholds):
    report = judged(tmp_path, thresholds, seed=5, runs=8)
    warned = replace(report, findings=(missing_from_run("GET /api/gone/"),))

    markdown = render_markdown(warned)

    summary = "<details>\n<summary>Trend: Aggregate typical response time over the last 8 runs and this run"
    assert warned.verdict == "warn" and summary + "</summary>" in markdown
    assert len(blocks(markdown)) == 1


@pytest.mark.parametrize("baseline", ["baseline", None])
def test_a_summary_without_history_has_no_chart_and_no_trend_column(baseline):
    report = run_gate(
        GATE_FIXTURES / "fail",
        baseline=GATE_FIXTURES / baseline if baseline else None,
        thresholds_path=GATE_FIXTURES / "thresholds.json",
        now=NOW,
    )

    markdown = render_markdown(report)

    assert report.trend is None
    assert "mermaid" not in markdown and "Trend" not in markdown and "p95 trend" not in markdown


def test_a_baseline_without_history_draws_no_chart(tmp_path, thresholds):
    rng = random.Random(4)
    baseline = write_bundle(tmp_path / "baseline", rng, "b")
    current = write_bundle(tmp_path / "current", rng, "c")

    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    assert report.trend is None and "mermaid" not in render_markdown(report)


def test_an_endpoint_name_reaches_a_mermaid_title_only_as_letters_digits_and_slashes(
    tmp_path, thresholds, monkeypatch
):
    hostile = 'GET /api/"];line[9]`@octocat<img>```mermaid#12'
    monkeypatch.setattr(seeded, "ENDPOINTS", {hostile: 400, "GET /api/other/": 300})
    report = judged(tmp_path, thresholds, seed=7, runs=10, slow={hostile: 1.5})

    markdown = render_markdown(report)

    endpoint, aggregate = blocks(markdown)
    assert chart_label(hostile) == "GET /api/?]?line[9]??octocat?img????mermaid?12"
    assert f'title "{chart_label(hostile)} · typical response time · grey: band' in endpoint
    for block in (endpoint, aggregate):
        assert "`" not in block and "@" not in block and "<" not in block and "mermaid#" not in block
        assert re.fullmatch(r'[\w\s"#,:()\[\]{}\->.%/?·–]*', block), block
    assert (
        f"**{code_span(hostile)} typical response time** (ms)" in markdown
    )  # the caption names it only escaped
    assert rendered(markdown).live() == [] and "@octocat" not in markdown


def test_at_most_two_charts_however_many_endpoints_are_flagged(tmp_path, thresholds, monkeypatch):
    # Two slowed endpoints of six: each is judged relative to the others, which mostly did not move.
    endpoints = {f"GET /api/e{n}/": 400 for n in range(6)}
    monkeypatch.setattr(seeded, "ENDPOINTS", endpoints)
    report = judged(tmp_path, thresholds, seed=4, runs=8, slow=dict.fromkeys(list(endpoints)[:2], 1.5))

    flagged_endpoints = {f.scope for f in report.findings if f.kind == "regression" and f.scope != AGGREGATE}
    assert len(flagged_endpoints) >= 2
    assert len(blocks(render_markdown(report))) == charts.MAX_CHARTS == 2


def test_the_comment_with_charts_stays_under_githubs_limit(tmp_path, thresholds, monkeypatch):
    # Seed 8, not 7: with seed 7 one of the 300 small endpoints is a false alarm (the gate allows 5%
    # per run; rows of 20 requests measured more, see docs/gate.md), and its long name in the headline
    # leaves no room for this test's layout.
    names = {f"GET /api/{'very-long-segment-' * 12}{n}/": 20 for n in range(450)}
    monkeypatch.setattr(seeded, "ENDPOINTS", {DASHBOARD: 400, **names})
    report = judged(tmp_path, thresholds, seed=10, runs=10, slow={DASHBOARD: 1.5})

    markdown = render_markdown(report)
    tight = render_markdown(report, max_chars=1_600)

    assert len(markdown) <= MAX_SUMMARY_CHARS < MAX_COMMENT_CHARS
    assert "endpoint rows" in markdown and len(blocks(markdown)) == 2  # rows go before the charts
    assert len(tight) <= 1_600
    assert "2 of 2 charts" in tight and blocks(tight) == []
