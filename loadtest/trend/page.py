"""trend.html: one self-contained page of every endpoint's history, from a Trend (loadtest.gate.series).

No network at all: the styles, the SVG charts and the one small script (the endpoint selector) are
inline, and a Content-Security-Policy allows nothing else, so the page opens the same from a
downloaded artifact as anywhere. Without the script every endpoint shows, one after another.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from loadtest.bundle import AGGREGATE
from loadtest.bundle.typed_json import format_time
from loadtest.gate.history import HistoryRun
from loadtest.gate.render.charts import run_labels
from loadtest.gate.series import Trend
from loadtest.gate.stats import TYPICAL
from loadtest.gate.units import METRIC_LABELS
from loadtest.text.untrusted import html_text
from loadtest.trend.long import LongView, long_figures, range_selector
from loadtest.trend.svg import Edges, Point, line_chart

CHARTS = ((TYPICAL, "ms", 1.0), ("p50", "ms", 1.0), ("p95", "ms", 1.0), ("p99", "ms", 1.0))
CHARTS += (("rps", "req/s", 1.0), ("failure_ratio", "%", 100.0))
"""Each endpoint's charts: metric, unit, and the factor from the metric's value to the unit."""

SCRIPT = """\
const select = document.getElementById("endpoint");
const rows = [...document.querySelectorAll("section.row")];
function show(id) {
  if (!rows.some((row) => row.id === id)) id = document.body.dataset.initial;
  for (const row of rows) row.hidden = row.id !== id;
  select.value = id;
}
select.addEventListener("change", () => {
  history.replaceState(null, "", "#" + select.value);
  show(select.value);
});
window.addEventListener("hashchange", () => show(decodeURIComponent(location.hash.slice(1))));
show(decodeURIComponent(location.hash.slice(1)));
const range = document.getElementById("range");
function showRange() {
  for (const figure of document.querySelectorAll("figure.long")) {
    figure.hidden = figure.dataset.range !== range.value;
  }
}
if (range) {
  range.addEventListener("change", showRange);
  showRange();
}
"""
"""The endpoint selector: show one endpoint's section, the one the address names (``#GET-api-dashboard``,
from the selector, the index or a link from the comment), else the page's first (the worst). The
range selector (a baseline's long history, loadtest.trend.long): show each row's chart of that range."""

STYLE = """\
body { font: 14px/1.45 system-ui, sans-serif; margin: 16px 24px; color: #1f2328; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 14px 0 6px; }
.facts, .note, footer, .caption { color: #59636e; } code { font-size: 13px; }
.pick { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline; }
.index { font-size: 12px; } .index a { margin-right: 10px; white-space: nowrap; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 8px 18px; }
figure { margin: 0; } .chart { width: 100%; height: auto; }
.caption { font-size: 12px; margin: 0 0 6px 46px; }
.chart .title { font-weight: 600; font-size: 12px; fill: #1f2328; }
.chart .tick, .chart .run, .chart .axis { font-size: 10px; fill: #59636e; }
.chart .edge-label { font-size: 10px; fill: #57606a; }
.chart .grid { stroke: #d1d9e0; stroke-width: 1; }
.chart .band rect { fill: #8c959f; fill-opacity: 0.18; }
.chart .band .edge { stroke: #8c959f; stroke-dasharray: 4 3; }
.chart .series { fill: none; stroke: #0969da; stroke-width: 2; }
.chart .point { fill: #0969da; } .chart .point.current { fill: #cf222e; stroke: #fff; stroke-width: 1.5; }
table.runs { border-collapse: collapse; margin-top: 6px; font-size: 12px; }
table.runs td, table.runs th { border: 1px solid #d1d9e0; padding: 2px 8px; text-align: left; }
table.runs td.value { text-align: right; }
.chart .change .marker { stroke: #cf222e; stroke-width: 1.5; stroke-dasharray: 4 2; }
.chart .change.better .marker { stroke: #1a7f37; }
.chart .change .hit { stroke: transparent; stroke-width: 12; }
"""


@dataclass(frozen=True, kw_only=True)
class TrendPage:
    """What one page shows: the trend, its heading and its notes, the rows in order, their marks."""

    trend: Trend
    heading: str
    facts: str
    """One line under the heading: what this run (or baseline) is."""
    notes: Sequence[str] = ()
    order: Sequence[str] = ()
    """Rows in the selector's order, the one the page opens on first; empty: the aggregate, then the
    trend's own order."""
    marks: Mapping[str, str] = field(default_factory=dict)
    """A row's mark in the selector and its heading, e.g. ``fail``."""
    long: LongView | None = None
    """A baseline's long history, drawn above each row's charts with a range selector."""


def render_page(page: TrendPage) -> str:
    """The whole HTML document."""
    rows = _rows(page)
    anchors = row_anchors(rows)
    options = "\n".join(
        f'<option value="{html_text(anchors[name])}">{html_text(_row_title(page, name))}</option>'
        for name in rows
    )
    index = " ".join(
        f'<a href="#{html_text(anchors[name])}">{html_text(_row_title(page, name))}</a>'
        for name in sorted(rows, key=lambda name: (name == AGGREGATE, name.split(" ", 1)[-1], name))
    )
    sections = "\n".join(_section(page, name, anchors[name]) for name in rows)
    notes = "".join(f'<p class="note">{html_text(note)}</p>\n' for note in page.notes)
    initial = html_text(anchors[rows[0]]) if rows else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_policy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html_text(page.heading)}</title>
<style>
{STYLE}</style>
</head>
<body data-initial="{initial}">
<h1>{html_text(page.heading)}</h1>
<p class="facts">{html_text(page.facts)}</p>
{notes}<div class="pick"><p><label for="endpoint">Endpoint, worst first</label>
<select id="endpoint">
{options}
</select></p>
{range_selector() if page.long else ""}
<p class="index">A to Z: {index}</p></div>
{sections}
<footer><p>Blue: the measured value per run, oldest first; red: {_last_name(page.trend)}. Each chart
says under it whether it has a band. Hover a point for its run.</p></footer>
<script>{SCRIPT}</script>
</body>
</html>
"""


def row_anchors(rows: Sequence[str]) -> dict[str, str]:
    """A stable anchor per row, from its name: ``GET /api/dashboard/`` is ``GET-api-dashboard``, the
    aggregate ``aggregate``; a second row with the same anchor gets ``-2``. A link from the comment
    (``trend.html#GET-api-dashboard``) opens the same endpoint on every run."""
    anchors: dict[str, str] = {}
    taken: set[str] = set()
    for name in rows:
        base = "aggregate" if name == AGGREGATE else slug(name)
        anchor, n = base, 1
        while anchor in taken:
            n += 1
            anchor = f"{base}-{n}"
        taken.add(anchor)
        anchors[name] = anchor
    return anchors


def slug(name: str) -> str:
    """``GET-api-dashboard``: letters, digits and ``{}`` kept, every other run of characters one dash."""
    return re.sub(r"[^A-Za-z0-9{}]+", "-", name).strip("-")[:80] or "endpoint"


def _rows(page: TrendPage) -> list[str]:
    present = page.trend.row_names()
    ordered = [name for name in page.order if name in present]
    if AGGREGATE in present and AGGREGATE not in ordered:
        ordered.insert(0, AGGREGATE)
    return ordered + [name for name in present if name not in ordered]


def _row_title(page: TrendPage, name: str) -> str:
    title = "Aggregated (all endpoints)" if name == AGGREGATE else name
    mark = page.marks.get(name)
    return f"{title} ({mark})" if mark else title


def _section(page: TrendPage, name: str, anchor: str) -> str:
    trend = page.trend
    hovers = [_hover(number, run) for number, run in zip(run_labels(trend), trend.runs, strict=True)]
    charts = []
    for metric, unit, scale in CHARTS:
        series = trend.series(name, metric)
        points = [
            Point(label, None if value is None else value * scale, hover)
            for label, value, hover in zip(run_labels(trend), series, hovers, strict=True)
        ]
        band = trend.band(name, metric)
        edges = None
        if band:
            caption = (
                f"Shaded: the band the gate judged this run against ({band.level} level), "
                f"{band.low * scale:,.0f}–{band.high * scale:,.0f} {unit}, "
                f"median {band.center * scale:,.0f} {unit} of {band.runs} runs."
            )
            edges = Edges(low=band.low * scale, high=band.high * scale, caption=caption)
        else:
            caption = "No band: not judged against the history."
        title = METRIC_LABELS[metric]
        chart = line_chart(title, points, unit=unit, edges=edges, mark_last=True)
        charts.append(
            f'<figure>\n{chart}\n<figcaption class="caption">{html_text(caption)}</figcaption>\n</figure>'
        )
    return (
        f'<section class="row" id="{html_text(anchor)}">\n<h2>{html_text(_row_title(page, name))}</h2>\n'
        + (long_figures(page.long, name) if page.long else "")
        + '<div class="charts">\n'
        + "\n".join(charts)
        + "\n</div>\n"
        + _runs_table(trend, name)
        + "\n</section>"
    )


def _run_facts(label: str, run: HistoryRun) -> list[str]:
    """A run's number, commit, end time, preset and users: the runs table's cells."""
    facts = run.facts
    return [
        label,
        facts.git_commit[:7] if facts.git_commit else "unknown",
        format_time(facts.ended_at) or "unknown",
        facts.preset or "unknown",
        str(facts.users) if facts.users is not None else "unknown",
    ]


def _hover(label: str, run: HistoryRun) -> str:
    """``run 3 · commit 4f2a9c1 · ended 2026-11-25T10:00:00Z · preset smoke · 10 users``."""
    number, commit, ended, preset, users = _run_facts(label, run)
    name = number if number == "this run" else f"run {number}"
    return f"{name} · commit {commit} · ended {ended} · preset {preset} · {users} users"


def _runs_table(trend: Trend, name: str) -> str:
    """The runs with this row's judged value (the typical time, unless a band judged another) and p95."""
    judged = next(iter(trend.bands.get(name, {})), TYPICAL)
    columns = list(dict.fromkeys([judged, "p95"]))
    values = {metric: trend.series(name, metric) for metric in columns}
    header = "".join(f"<th>{html_text(METRIC_LABELS[metric])} (ms)</th>" for metric in columns)
    rows = []
    for index, (label, run) in enumerate(zip(run_labels(trend), trend.runs, strict=True)):
        cells = "".join(f"<td>{html_text(cell)}</td>" for cell in _run_facts(label, run))
        cells += "".join(f'<td class="value">{_ms(values[metric][index])}</td>' for metric in columns)
        rows.append(f"<tr>{cells}</tr>")
    return (
        f'<details open><summary>Runs ({len(trend.runs)})</summary>\n<table class="runs">\n'
        f"<tr><th>run</th><th>commit</th><th>ended</th><th>preset</th><th>users</th>{header}</tr>\n"
        + "\n".join(rows)
        + "\n</table></details>"
    )


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _last_name(trend: Trend) -> str:
    return (
        "this run" if trend.current_is_judged else "the newest run (the one this baseline was recorded from)"
    )


def _policy() -> str:
    """Nothing but our inline style and our one script, by its hash: no network, no injected script."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
