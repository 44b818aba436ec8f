"""The charts as a reader sees them: trend.html and the comment's Mermaid blocks, drawn by headless Chromium.

The run is the 20% slowdown of one endpoint against a 10-run history (the seeded bundles of
tests/unit/test_gate_history_summary.py), judged by ``scripts/compare.py --trend`` as CI runs it.
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

from loadtest.bundle import TREND_PAGE
from tests.conftest import GATE_FIXTURES, ROOT, run_command, run_script
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

    run = run_script(
        "compare.py", current, "--baseline", baseline, "--thresholds", thresholds, "--trend", page, timeout=60
    )

    assert run.returncode == 1, run.stderr  # the dashboard's typical time fails against its band
    return page, run.stdout


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
        tmp_path,
        {"kind": "trend", "url": page.as_uri(), "select": "row-1", "screenshot": str(tmp_path / "trend.png")},
    )

    assert facts["requests"] == [] and facts["errors"] == []  # nothing fetched, nothing refused by the CSP
    assert facts["sections"] == len(seeded.ENDPOINTS) + 1 and facts["visible"] == 1
    assert facts["heading"] == f"{DASHBOARD} (fail)"
    charts = facts["charts"]
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
    aggregate, dashboard = facts["diagrams"]
    for diagram in (aggregate, dashboard):
        assert diagram["svg"] and diagram["width"] > 300
        assert diagram["lines"] == [HISTORY_RUNS + 1] * 3  # the metric and the band's two edges
        assert "this run" in diagram["text"]
    measured, high, low = dashboard["ys"]
    assert len(set(high)) == len(set(low)) == 1  # flat edges
    assert all(high[0] <= y <= low[0] for y in measured[:-1]) and measured[-1] < high[0]  # the step
    assert (tmp_path / "comment.png").stat().st_size > 10_000
