"""What a reader sees: trend.html, the comment's Mermaid blocks and the whole comment, drawn by Chromium.

The run is the 20% slowdown of one endpoint against a 10-run history (the seeded bundles of
tests/unit/test_gate_history_summary.py), judged by ``scripts/compare.py --trend`` as CI runs it;
the passing run is the same without the slowdown. The comment is rendered as GitHub renders it
(cmark-gfm with GitHub's extensions, through tests/github_markdown.py), its Mermaid blocks drawn by
the pinned Mermaid, in a 1000 px wide window with the comment 860 px wide.
Chromium is Debian's (/usr/bin/chromium), driven by playwright-core; Mermaid is the version pinned
in tests/browser/package-lock.json, loaded from node_modules (no CDN, no network). .ci/run installs
both and sets BROWSER_TESTS_REQUIRED, so in CI a missing browser fails the test instead of skipping it.
"""

import html
import json
import os
import random
import re
import shutil
from pathlib import Path

import pytest

from loadtest.bundle import TREND_PAGE, read_results
from loadtest.changes.rules import change_rules
from loadtest.gate.history import History, run_from_results
from loadtest.gate.thresholds import load_thresholds
from loadtest.trend import long_view, page_for_baseline, render_page
from tests.conftest import GATE_FIXTURES, ROOT, run_command, run_loadtest
from tests.github_markdown import rendered
from tests.synthetic_history import Effect, nightly_history
from tests.unit import test_comment_budgets as budgets
from tests.unit import test_gate_history_summary as seeded

pytestmark = pytest.mark.slow

BROWSER = ROOT / "tests" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
MERMAID = BROWSER / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
DRIVER = BROWSER / "node_modules" / "playwright-core"
DASHBOARD = "GET /api/dashboard/"
HISTORY_RUNS = 10
CHARTS_PER_ENDPOINT = 5  # p50, p95, p99, requests/s, failure ratio
CHART_BLOCK = re.compile(r"^\*\*([^\n]+)\n\n```mermaid\n(.*?)```", re.S | re.M)
MERMAID_PRE = re.compile(r'<pre lang="mermaid"><code>(.*?)</code></pre>', re.S)
WINDOW, COMMENT_WIDTH, FIRST_SCREEN = 1000, 860, 900
GITHUB_STYLE = """\
body { margin: 0; background: #fff; }
.markdown-body { width: 860px; margin: 16px auto; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans",
  Helvetica, Arial, sans-serif; color: #1f2328; word-wrap: break-word; }
.markdown-body > *:first-child { margin-top: 0 !important; }
.markdown-body p, .markdown-body table, .markdown-body pre, .markdown-body details, .markdown-body ul
  { margin: 0 0 16px; }
.markdown-body h2, .markdown-body h3, .markdown-body h4
  { margin: 24px 0 16px; font-weight: 600; line-height: 1.25; }
.markdown-body h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0b3; }
.markdown-body h3 { font-size: 1.25em; } .markdown-body h4 { font-size: 1em; }
.markdown-body code { font: 85% ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  padding: .2em .4em; background: #818b981f; border-radius: 6px; }
.markdown-body table { display: block; width: max-content; max-width: 100%; overflow: auto;
  border-spacing: 0; border-collapse: collapse; }
.markdown-body td, .markdown-body th { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body th { font-weight: 600; } .markdown-body tr:nth-child(2n) { background: #f6f8fa; }
.markdown-body ul { padding-left: 2em; } .markdown-body sub { font-size: 75%; }
"""
"""The few rules of GitHub's markdown stylesheet (primer's markdown-body) that set a comment's layout."""


def missing_browser() -> str | None:
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if shutil.which("node") is None:
        return "node is missing"
    if not (MERMAID.is_file() and DRIVER.is_dir()):
        return "tests/browser/node_modules is missing (npm ci --prefix tests/browser)"
    return None


@pytest.fixture(scope="module", autouse=True)
def browser_present():
    why = missing_browser()
    if why and os.environ.get("BROWSER_TESTS_REQUIRED"):
        pytest.fail(f"the browser test must run here (BROWSER_TESTS_REQUIRED is set) but {why}")
    if why:
        pytest.skip(f"no headless browser on this machine: {why}")


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> tuple[Path, str]:
    """The trend page compare wrote for a 20% slower dashboard, and the comment it printed."""
    tmp = tmp_path_factory.mktemp("judged")
    rng = random.Random(7)
    baseline = seeded.baseline_with_history(tmp, rng, HISTORY_RUNS)
    current = seeded.write_bundle(tmp / "current", rng, "c", slow={DASHBOARD: 1.2})
    document = json.loads((GATE_FIXTURES / "thresholds.json").read_text(encoding="utf-8"))
    document["regression"]["history"] = seeded.HISTORY
    thresholds = tmp / "thresholds.json"
    thresholds.write_text(json.dumps(document), encoding="utf-8")
    page = current / TREND_PAGE

    run = run_loadtest(
        "compare", current, "--baseline", baseline, "--thresholds", thresholds, "--trend", page, timeout=60
    )

    assert run.returncode == 1, run.stderr  # the dashboard's typical time fails against its band
    return page, run.stdout


@pytest.fixture(scope="module")
def passing(tmp_path_factory) -> str:
    """The comment compare printed for the same history and a run without the slowdown."""
    tmp = tmp_path_factory.mktemp("passing")
    rng = random.Random(7)
    baseline = seeded.baseline_with_history(tmp, rng, HISTORY_RUNS)
    current = seeded.write_bundle(tmp / "current", rng, "c")
    document = json.loads((GATE_FIXTURES / "thresholds.json").read_text(encoding="utf-8"))
    document["regression"]["history"] = seeded.HISTORY
    thresholds = tmp / "thresholds.json"
    thresholds.write_text(json.dumps(document), encoding="utf-8")

    run = run_loadtest("compare", current, "--baseline", baseline, "--thresholds", thresholds, timeout=60)

    assert run.returncode == 0, run.stderr
    return run.stdout


def github_page(comment: str, folder: Path, name: str) -> Path:
    """The comment as GitHub shows it: cmark-gfm's HTML in GitHub's layout, each ``mermaid`` block
    handed to the pinned Mermaid as GitHub hands it to its renderer."""
    body = MERMAID_PRE.sub(r'<pre class="mermaid">\1</pre>', rendered(comment).html)
    script = (
        'mermaid.initialize({startOnLoad: false, securityLevel: "strict"});\n'
        'mermaid.run().then(() => { document.body.dataset.rendered = "ok"; },\n'
        '  (error) => { document.body.dataset.rendered = "error: " + error.message; });'
    )
    page = folder / f"{name}.html"
    page.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>PR comment</title>\n'
        f"<style>{GITHUB_STYLE}</style></head>\n"
        f'<body><div class="markdown-body">\n{body}\n</div>\n'
        f'<script src="{MERMAID.as_uri()}"></script>\n<script>{script}</script>\n</body></html>\n',
        encoding="utf-8",
    )
    return page


def render(tmp_path: Path, *pages: dict) -> list[dict]:
    """Open ``pages`` in one headless Chromium with a new empty profile; the facts each drew."""
    profile = tmp_path / "profile"
    profile.mkdir()
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"chromium": str(CHROMIUM), "profile": str(profile), "pages": list(pages)}))
    run = run_command("node", BROWSER / "render.mjs", job, cwd=BROWSER, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout)["pages"]


def mermaid_page(comment: str, folder: Path) -> Path:
    """The comment's charts, each with the caption above it, rendered by the pinned Mermaid."""
    charts = CHART_BLOCK.findall(comment)
    body = "\n".join(
        f'<p>{html.escape(caption.replace("**", ""))}</p>\n<pre class="mermaid">{html.escape(block)}</pre>'
        for caption, block in charts
    )
    script = (
        'mermaid.initialize({startOnLoad: false, securityLevel: "strict"});\n'
        'mermaid.run().then(() => { document.body.dataset.rendered = "ok"; },\n'
        '  (error) => { document.body.dataset.rendered = "error: " + error.message; });'
    )
    page = folder / "comment.html"
    page.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>PR comment charts</title></head>\n'
        f'<body style="font: 14px system-ui; margin: 24px; width: 760px">\n{body}\n'
        f'<script src="{MERMAID.as_uri()}"></script>\n<script>{script}</script>\n</body></html>\n',
        encoding="utf-8",
    )
    return page


def test_the_trend_page_draws_every_chart_offline_with_the_step_marked(tmp_path, judged):
    page, _comment = judged

    (facts,) = render(
        tmp_path, {"kind": "trend", "url": page.as_uri(), "screenshot": str(tmp_path / "trend.png")}
    )

    assert facts["requests"] == [] and facts["errors"] == []  # nothing fetched, nothing refused by the CSP
    assert facts["sections"] == len(seeded.ENDPOINTS) + 1 and facts["visible"] == 1
    assert facts["heading"] == f"{DASHBOARD} (fail)"  # it opens on the failing endpoint
    assert facts["chartsRight"] > 0.75 * facts["pageWidth"]  # three charts a row: the width is used
    long_history = [chart for chart in facts["charts"] if chart["title"].startswith("Typical time, ")]
    charts = [chart for chart in facts["charts"] if chart not in long_history]
    # Above them, the baseline's long history (seeded from its history.json) with this run added: a
    # chart per range of the selector, all but one hidden.
    ranges = ("last 30 runs", "last 90 runs", "all runs")
    assert [chart["title"] for chart in long_history] == [f"Typical time, {r} (ms)" for r in ranges]
    assert [chart["title"] for chart in charts] == [
        "typical response time (ms)",
        "p50 (ms)",
        "p95 (ms)",
        "p99 (ms)",
        "requests/s (req/s)",
        "failure ratio (%)",
    ]
    for chart in charts:
        assert chart["width"] > 300
        assert chart["points"] == HISTORY_RUNS + 1 and chart["current"] == 1
        assert chart["lines"] == [HISTORY_RUNS + 1]
        assert 4 <= chart["ticks"] <= 6 and chart["axes"][1] == "run, oldest first"
    assert charts[0]["axes"][0] == "ms" and len(charts[0]["edgeLabels"]) == 2  # the band's edges, written
    typical = charts[0]  # the metric the gate judges (thresholds.json's default): the band is on it alone
    assert typical["bands"] == 1 and [chart["bands"] for chart in charts[1:]] == [0] * 5
    assert typical["last"] < typical["bandTop"]  # this run drawn above the band (SVG y grows downwards)
    assert facts["hover"].startswith("this run · commit ccccccc · ended 2026-11-25T10:00:00Z · preset smoke")
    assert (tmp_path / "trend.png").stat().st_size > 10_000


def test_the_comments_mermaid_charts_draw_with_the_pinned_mermaid(tmp_path, judged):
    _page, comment = judged
    page = mermaid_page(comment, tmp_path)

    (facts,) = render(
        tmp_path, {"kind": "mermaid", "url": page.as_uri(), "screenshot": str(tmp_path / "comment.png")}
    )

    assert facts["outcome"] == "ok" and not facts["syntaxError"], facts
    assert [request for request in facts["requests"] if request != MERMAID.as_uri()] == []
    dashboard, aggregate = facts["diagrams"]  # the failing endpoint's chart first
    for diagram in (aggregate, dashboard):
        assert diagram["svg"] and diagram["width"] > 300
        assert diagram["lines"] == [HISTORY_RUNS + 1] * 3  # the metric and the band's two edges
        assert "this run" in diagram["text"]
    measured, high, low = dashboard["ys"]
    assert len(set(high)) == len(set(low)) == 1  # flat edges
    assert all(high[0] <= y <= low[0] for y in measured[:-1]) and measured[-1] < high[0]  # the step
    assert (tmp_path / "comment.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("anchor", "heading"),
    [
        ("aggregate", "Aggregated (all endpoints) (fail)"),
        ("POST-api-accounts-sign-in", "POST /api/accounts/sign-in/"),
    ],
)
def test_a_link_to_an_endpoints_anchor_opens_that_endpoint(tmp_path, judged, anchor, heading):
    page, _comment = judged

    (facts,) = render(
        tmp_path, {"kind": "trend", "url": f"{page.as_uri()}#{anchor}", "screenshot": str(tmp_path / "t.png")}
    )

    assert facts["errors"] == [] and facts["visible"] == 1
    assert (facts["id"], facts["heading"], facts["selected"]) == (anchor, heading, anchor)


def test_the_failing_comment_gives_the_answer_on_its_first_screen(tmp_path, judged):
    _page, comment = judged

    (facts,) = render(tmp_path, comment_spec(tmp_path, comment, "failing"))

    assert facts["outcome"] == "ok" and facts["errors"] == [], facts
    headline = facts["headline"]
    assert facts["headlineLines"] == 1, headline
    assert re.search(
        rf"FAIL: {DASHBOARD} is \d+% slower than usual: \d+ ms, usually \d+ ms \(10 runs\)", headline
    )
    assert facts["findingsBottom"] <= FIRST_SCREEN and facts["firstChartBottom"] <= FIRST_SCREEN, facts
    assert facts["openDetails"] == 0 and facts["details"] >= 1  # the per-endpoint table folded
    first, second = (diagram["title"] for diagram in facts["diagrams"])
    assert first.startswith(f"{DASHBOARD} · typical response time · grey: band ") and first != second
    assert all(diagram["yTicks"] <= 8 for diagram in facts["diagrams"])  # 13 before: d3 aims at ten
    assert facts["wrappedRows"] == []  # compact cells: no row of any table wraps at 860 px
    reasons = re.findall(r"Why: (.+)", comment)
    assert reasons and all(comment.count(reason) == 1 for reason in reasons)  # each reason once
    print(f"failing comment: {len(comment)} characters,", *sizes(facts))


def test_the_passing_comment_is_one_line_and_a_folded_table(tmp_path, passing):
    (facts,) = render(tmp_path, comment_spec(tmp_path, passing, "passing"))

    assert facts["outcome"] == "ok" and facts["errors"] == [], facts
    assert facts["headlineLines"] == 1 and facts["headline"].startswith("✅ PASS: all 3 endpoints")
    assert facts["diagrams"] == [] and facts["openDetails"] == 0
    assert facts["height"] <= FIRST_SCREEN / 2 and facts["wrappedRows"] == []
    print(f"passing comment: {len(passing)} characters,", *sizes(facts))


def sizes(facts: dict) -> tuple[str, str]:
    return f"{facts['height']:.0f} px tall,", f"{facts['unfoldedHeight']:.0f} px unfolded"


def comment_spec(tmp_path: Path, comment: str, name: str) -> dict:
    page = github_page(comment, tmp_path, name)
    return {
        "kind": "comment",
        "url": page.as_uri(),
        "width": WINDOW,
        "screenshot": str(tmp_path / f"{name}.png"),
    }


@pytest.mark.parametrize("slow", [{DASHBOARD: 1.4}, None], ids=["failing", "passing"])
def test_a_smoke_comment_of_13_endpoints_keeps_every_row_on_one_line(tmp_path, monkeypatch, slow):
    """The contract's longest names (41 characters) beside each row's band and p-value."""
    report, comment = budgets.smoke_comment(tmp_path, monkeypatch, slow=slow)

    (facts,) = render(tmp_path, comment_spec(tmp_path, comment, "smoke"))

    assert facts["outcome"] == "ok" and facts["headlineLines"] == 1, facts
    assert facts["wrappedRows"] == []
    if report.verdict == "fail":
        assert facts["firstChartBottom"] <= FIRST_SCREEN
    print(f"smoke {report.verdict} comment: {len(comment)} characters,", *sizes(facts))


def test_the_long_history_range_selector_changes_what_is_drawn(tmp_path):
    """A baseline's trend.html with 200 runs of long history and a step at run 150 (loadtest.trend.long)."""
    short = History().rolled(run_from_results(read_results(GATE_FIXTURES / "baseline")))
    long = nightly_history(1, runs=200, effect=Effect(size=0.3, start=150))
    view = long_view(long, change_rules(load_thresholds()))
    page = tmp_path / TREND_PAGE
    page.write_text(render_page(page_for_baseline(short, long=view)), encoding="utf-8")
    spec = {"kind": "trend", "url": page.as_uri(), "select": "GET-api-dashboard"}

    every, last_30 = render(
        tmp_path,
        {**spec, "range": "all", "screenshot": str(tmp_path / "all.png")},
        {**spec, "range": "30", "screenshot": str(tmp_path / "30.png")},
    )

    assert every["errors"] == [] == last_30["errors"] and every["requests"] == []
    ((drawn,),) = [chart["lines"] for chart in every["long"]]
    ((recent,),) = [chart["lines"] for chart in last_30["long"]]
    assert (drawn, recent) == (200, 30)
    (change,) = every["long"][0]["changes"]
    assert change.startswith(f"{DASHBOARD}: typical time ") and " between " in change
    assert last_30["long"][0]["changes"] == []  # the step is 50 runs back
