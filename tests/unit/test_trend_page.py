"""trend.html: one self-contained page per run (and per baseline) of every endpoint's history.

The page is checked here as text (structure, escaping, no network); tests/integration/
test_trend_in_browser.py opens it in Chromium.
"""

import base64
import hashlib
import random
import re

import pytest

from loadtest.bundle import AGGREGATE, TREND_PAGE
from loadtest.cli import compare as compare_command
from loadtest.gate import run_gate
from loadtest.gate.history import read_history
from loadtest.gate.stats import TYPICAL
from loadtest.trend import page_for_baseline, page_for_report, render_page
from loadtest.trend.page import row_anchors
from tests.conftest import GATE_FIXTURES
from tests.unit import test_gate_history_summary as seeded
from tests.unit.test_gate_charts import history_thresholds
from tests.unit.test_gate_history_summary import NOW, baseline_with_history, write_bundle

DASHBOARD = "GET /api/dashboard/"
CHARTS_PER_ROW = 6  # typical, p50, p95, p99, requests/s, failure ratio


@pytest.fixture
def thresholds(tmp_path):
    return history_thresholds(tmp_path)


@pytest.fixture
def slowed(tmp_path, thresholds):
    """A baseline of 10 runs and a run whose dashboard is 20% slower: (baseline, current)."""
    rng = random.Random(7)
    baseline = baseline_with_history(tmp_path, rng, 10)
    return baseline, write_bundle(tmp_path / "current", rng, "c", slow={DASHBOARD: 1.2})


def sections(page: str) -> dict[str, str]:
    """Each endpoint's section by its heading."""
    found = re.findall(r'<section class="row" id="[^"]+">\n<h2>(.*?)</h2>(.*?)</section>', page, re.S)
    return dict(found)


def test_every_endpoint_gets_its_charts_with_the_band_and_this_run_marked(slowed, thresholds):
    baseline, current = slowed
    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    page = render_page(page_for_report(report))

    rows = sections(page)
    assert list(rows) == [
        f"{DASHBOARD} (fail)",
        "Aggregated (all endpoints) (fail)",
        *(row.name for row in report.endpoints_worst_first()[1:]),
    ]
    assert page.count("<option ") == 4
    dashboard = rows[f"{DASHBOARD} (fail)"]
    charts = re.findall(r"<svg.*?</svg>", dashboard, re.S)
    assert len(charts) == CHARTS_PER_ROW
    for chart in charts:
        assert chart.count('<circle class="point') == 11
        assert chart.count('<circle class="point current"') == 1
    typical, p95 = charts[0], charts[2]
    band = report.trend.band(DASHBOARD, TYPICAL)
    # The gate judges the typical time (thresholds.json's default): its chart alone has the band.
    assert '<g class="band">' in typical and all('<g class="band">' not in chart for chart in charts[1:])
    assert f"{band.low:,.0f}–{band.high:,.0f} ms, median {band.center:,.0f} ms of 10 runs" in typical
    assert "<title>run 3 · commit 2222222 · ended 2026-11-25T10:00:00Z · preset smoke · 10 users · " in p95
    assert "<title>this run · commit ccccccc · " in p95


def test_each_chart_has_axis_titles_four_to_six_ticks_and_the_band_edges_written(slowed, thresholds):
    baseline, current = slowed
    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    dashboard = sections(render_page(page_for_report(report)))[f"{DASHBOARD} (fail)"]

    charts = re.findall(r"<svg.*?</svg>", dashboard, re.S)
    for chart in charts:
        assert 4 <= chart.count('<text class="tick"') <= 6
        assert ">run, oldest first</text>" in chart and re.search(
            r'<text class="axis"[^>]*>(ms|req/s|%)<', chart
        )
    band = report.trend.band(DASHBOARD, TYPICAL)
    edges = re.findall(r'<text class="edge-label"[^>]*>([^<]+)<', charts[0])
    assert edges == [f"{band.high:,.0f}", f"{band.low:,.0f}"]
    captions = re.findall(r'<figcaption class="caption">([^<]+)<', dashboard)
    assert captions[0].startswith("Shaded: the band the gate judged this run against (fail level), ")
    assert captions[1:] == ["No band: not judged against the history."] * 5  # each says its own truth


def test_every_row_has_a_stable_anchor_by_name_and_an_index_from_a_to_z(slowed, thresholds):
    baseline, current = slowed
    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    page = render_page(page_for_report(report))

    assert '<body data-initial="GET-api-dashboard">' in page
    assert (
        '<section class="row" id="GET-api-dashboard">' in page
        and '<section class="row" id="aggregate">' in page
    )
    index = re.search(r'<p class="index">A to Z: (.*?)</p>', page).group(1)
    assert re.findall(r'href="#([^"]+)"', index) == [
        "POST-api-accounts-sign-in",
        "GET-api-dashboard",
        "GET-api-dashboard-v2-search",
        "aggregate",
    ]
    assert row_anchors(["GET /api/x/", "POST /api/x/", "GET /api/x"]) == {
        "GET /api/x/": "GET-api-x",
        "POST /api/x/": "POST-api-x",
        "GET /api/x": "GET-api-x-2",
    }


def test_the_runs_table_gives_each_runs_judged_value(slowed, thresholds):
    baseline, current = slowed
    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    dashboard = sections(render_page(page_for_report(report)))[f"{DASHBOARD} (fail)"]

    table = re.search(r'<table class="runs">(.*?)</table>', dashboard, re.S).group(1)
    assert "<th>typical response time (ms)</th><th>p95 (ms)</th>" in table
    last = table.strip().splitlines()[-1]
    typical = report.trend.series(DASHBOARD, TYPICAL)[-1]
    assert last.startswith("<tr><td>this run</td><td>ccccccc</td>") and f">{typical:,.0f}</td>" in last


def test_the_page_needs_no_network_and_runs_only_its_own_script(slowed, thresholds):
    baseline, current = slowed
    page = render_page(page_for_report(run_gate(current, baseline=baseline, thresholds_path=thresholds)))

    assert not re.search(r"https?://|\bsrc=|@import|url\(", page)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy == f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    assert page.count("<script") == 1


def test_text_from_the_results_is_escaped(tmp_path, thresholds, monkeypatch):
    hostile = "GET /api/<script>alert(1)</script>&\"'\u202eSSAP"
    monkeypatch.setattr(seeded, "ENDPOINTS", {hostile: 400, DASHBOARD: 300})
    rng = random.Random(7)
    baseline = baseline_with_history(tmp_path, rng, 4)
    current = write_bundle(tmp_path / "current", rng, "<b>", slow={hostile: 1.5})

    page = render_page(page_for_report(run_gate(current, baseline=baseline, thresholds_path=thresholds)))

    assert "<script>alert" not in page and "<b>" not in page
    assert "GET /api/&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#x27;\\u202eSSAP" in page
    assert "\u202e" not in page  # a direction override is shown, not obeyed (text.untrusted.html_text)
    assert "commit &lt;b&gt;&lt;b&gt;&lt;" in page  # the commit (run.json is the PR's) too
    assert page.count("<script") == 1


def test_without_a_history_the_page_shows_this_run_alone_and_says_why():
    report = run_gate(
        GATE_FIXTURES / "pass", baseline=None, thresholds_path=GATE_FIXTURES / "thresholds.json", now=NOW
    )

    page = render_page(page_for_report(report))

    assert "No baseline, so no history: each chart shows this run alone." in page
    assert len(sections(page)) == len(report.results.endpoints) + 1
    assert page.count('<circle class="point current"') == page.count("<circle ")
    assert '<g class="band">' not in page


def test_a_baseline_page_shows_its_history_newest_last_without_a_band(tmp_path):
    baseline = baseline_with_history(tmp_path, random.Random(4), 6)
    history = read_history(baseline / "history.json")

    page = render_page(page_for_baseline(history))

    assert "6 runs of the default branch, oldest first." in page and "No band here" in page
    aggregate = sections(page)["Aggregated (all endpoints)"]
    assert aggregate.count('<circle class="point') == 6 * CHARTS_PER_ROW
    assert ">newest</text>" in aggregate and "this run" not in aggregate
    assert '<g class="band">' not in page


def test_compare_writes_the_page_and_the_step_summary_says_where_it_is(
    tmp_path, slowed, thresholds, call_main
):
    baseline, current = slowed
    trend, step_summary = tmp_path / "out" / TREND_PAGE, tmp_path / "step-summary.md"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(step_summary),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "amal/loadtest",
        "GITHUB_RUN_ID": "4242",
    }

    run = call_main(
        compare_command.main,
        *(current, "--baseline", baseline, "--thresholds", thresholds, "--trend", trend),
        *("--results-artifact", "loadtest-results-smoke-4242-1"),
        env=env,
    )

    assert run.returncode == 1, run.stderr
    assert sections(trend.read_text(encoding="utf-8"))
    pointer = (
        "**Trend page:** `trend.html` in the artifact `loadtest-results-smoke-4242-1` "
        "([the run's artifacts](https://github.example/amal/loadtest/actions/runs/4242#artifacts))."
    )
    assert pointer in step_summary.read_text(encoding="utf-8")
    assert "Trend page" not in run.stdout  # the PR comment is the summary alone


def test_compare_without_trend_writes_no_page_and_no_pointer(tmp_path, call_main):
    step_summary = tmp_path / "step-summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(step_summary)}

    run = call_main(
        compare_command.main,
        GATE_FIXTURES / "pass",
        "--thresholds",
        GATE_FIXTURES / "thresholds.json",
        env=env,
    )

    assert run.returncode == 0
    assert "Trend page" not in step_summary.read_text(encoding="utf-8")


def test_compare_says_in_one_line_when_the_page_cannot_be_written(tmp_path, call_main):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")

    run = call_main(
        compare_command.main,
        *(GATE_FIXTURES / "pass", "--thresholds", GATE_FIXTURES / "thresholds.json"),
        *("--trend", blocked / TREND_PAGE),
    )

    assert run.returncode == 2
    # Checked with the other outputs before any work (loadtest.output_paths), so nothing is written.
    assert run.stderr.startswith(f"compare: error: --trend {blocked / TREND_PAGE}: ") and run.stdout == ""
    assert "is a file, so nothing can be made inside it" in run.stderr and run.stderr.count("\n") == 1


def test_the_worst_failing_endpoint_comes_first_then_the_aggregate_then_the_rest(slowed, thresholds):
    baseline, current = slowed
    report = run_gate(current, baseline=baseline, thresholds_path=thresholds, now=NOW)

    page = page_for_report(report)

    assert page.order[0] == DASHBOARD and page.order[1] == AGGREGATE
    assert page.marks == {AGGREGATE: "fail", DASHBOARD: "fail"}  # the dashboard is 40% of the requests
