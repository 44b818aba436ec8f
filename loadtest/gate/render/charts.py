"""The summary's pictures of the history: Mermaid line charts and Unicode sparklines, from ``report.trend``.

GitHub draws a fenced ``mermaid`` block in comments and job summaries; ``xychart-beta`` is its line
chart (Mermaid 10.5 and later; ``xychart-beta`` rather than the newer ``xychart`` keyword, which
older Mermaid does not know). An XY chart has no legend, so its title names the row and the metric
and says where the band is (``grey: band 47–57``), and the markdown line above it says it again.

Inside a Mermaid block the only text from the results is the endpoint's name in the title, through
``loadtest.text.untrusted.chart_label`` (letters, digits and ``/._{}:()[]-`` only); the rest is our words,
run numbers and numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from loadtest.bundle import AGGREGATE, LATENCY_METRICS
from loadtest.gate.report import GateReport
from loadtest.gate.series import JudgedBand, Trend
from loadtest.gate.stats import TYPICAL
from loadtest.gate.units import METRIC_LABELS
from loadtest.text.untrusted import chart_label, code_span

MAX_CHARTS = 2
"""Charts in one comment: the worst flagged endpoint metric first, then the aggregate (its typical time,
or p95)."""
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_GAP = "·"
"""A run without a value for the row (not called, or not recorded)."""
SPARK_MIN_SPAN = 0.25
"""A sparkline spans at least a quarter of its median: run-to-run noise of a few percent stays in
the bottom blocks instead of being stretched over all eight, and a real step still reaches the top."""
CHART_WIDTH, CHART_HEIGHT = 640, 240
"""Mermaid's default XY chart is 700 x 500: lower, so the failing chart fits the comment's first screen."""
TITLE_FONT_SIZE = 14
SERIES_COLOUR, BAND_COLOUR = "#0969da", "#8c959f"
"""GitHub's own blue and grey, readable on its light and dark themes."""
CHARTABLE = frozenset({*LATENCY_METRICS, TYPICAL, "rps", "failure_ratio"})
_UNITS = {"rps": ("req/s", 1.0), "failure_ratio": ("%", 100.0)}
"""Unit and scale of the non-latency metrics; latency is in ms."""


@dataclass(frozen=True)
class Chart:
    """One chart: a row's metric over the trend's runs."""

    row: str
    metric: str
    flagged: bool


# --- sparklines ------------------------------------------------------------------


def sparkline(values: Sequence[float | None], *, low: float | None = None, span: float | None = None) -> str:
    """``▂▁▂▂▁▂█``: one block per value, oldest first; SPARK_GAP where there is none. ``low`` and
    ``span`` put several sparklines on one scale; by default the values' own."""
    present = [value for value in values if value is not None]
    if not present:
        return ""
    low = min(present) if low is None else low
    if span is None:
        span = max(max(present) - low, SPARK_MIN_SPAN * _median(present))
    top = len(SPARK_BLOCKS) - 1
    return "".join(
        SPARK_GAP
        if value is None
        else SPARK_BLOCKS[min(top, max(0, round((value - low) / span * top))) if span else 0]
        for value in values
    )


def sparklines(report: GateReport, rows: Sequence[str], metric: str) -> dict[str, str]:
    """Each row's ``metric`` over the history, this run last, on one common scale: each value as a
    ratio to the row's own median, each row from its own lowest run, and one block the same share of
    the median in every row, so a quiet row's noise stays low beside another's step. Empty without
    a history."""
    if report.trend is None:
        return {}
    ratios = {row: _ratios(report.trend.series(row, metric)) for row in rows}
    spans = [max(present) - min(present) for series in ratios.values() if (present := _present(series))]
    if not spans:
        return {}
    span = max(*spans, SPARK_MIN_SPAN)
    return {
        row: sparkline(series, low=min(_present(series), default=0.0), span=span)
        for row, series in ratios.items()
    }


def _present(values: Sequence[float | None]) -> list[float]:
    return [value for value in values if value is not None]


def _ratios(values: Sequence[float | None]) -> list[float | None]:
    present = [value for value in values if value is not None]
    median = _median(present) if present else 0.0
    return [None if value is None or not median else value / median for value in values]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# --- which charts ----------------------------------------------------------------


def charts_for(report: GateReport, limit: int = MAX_CHARTS) -> list[Chart]:
    """Each flagged endpoint's flagged metric, worst first, then the aggregate's typical response time
    when the gate judged it against a band (else its p95); only charts with at least one earlier run
    to draw, at most ``limit``."""
    trend = report.trend
    if trend is None or limit <= 0:
        return []
    flagged = {(f.scope, f.metric) for f in report.findings if f.kind in ("limit", "regression")}
    wanted = []
    for f in report.findings:  # worst first; an endpoint's p95 first, as in its sparkline
        if (f.scope, f.metric) in flagged and f.scope in report.results.endpoints and f.metric in CHARTABLE:
            if (f.scope, "p95") in flagged:
                wanted.append((f.scope, "p95"))
            wanted.append((f.scope, f.metric))
    wanted.append((AGGREGATE, TYPICAL if trend.band(AGGREGATE, TYPICAL) else "p95"))
    charts: list[Chart] = []
    for row, metric in dict.fromkeys(wanted):
        if len(charts) < limit and _drawable(trend, row, metric):
            charts.append(Chart(row, metric, flagged=(row, metric) in flagged))
    return charts


def _drawable(trend: Trend, row: str, metric: str) -> bool:
    """This run has the value, and at least one earlier run too: one point is no trend."""
    *earlier, current = trend.series(row, metric)
    return current is not None and any(value is not None for value in earlier)


# --- markdown --------------------------------------------------------------------


def trend_section(report: GateReport, limit: int = MAX_CHARTS) -> str:
    """The charts as markdown: open when one shows a flagged metric (right under the findings, so the
    failing chart is on the first screen), else folded in <details>; empty for a passing run and
    without a history, so a summary never shows an empty chart."""
    charts = charts_for(report, limit)
    if not charts or report.trend is None or report.verdict == "pass":
        return ""  # a passing run's charts are in trend.html: its comment stays short
    body = "\n\n".join(_chart_markdown(report.trend, chart) for chart in charts)
    runs = report.trend.history_runs
    if any(chart.flagged for chart in charts):
        return body
    return (
        f"<details>\n<summary>Trend: {_subject(charts[0])} over the last {runs} "
        f"run{'s' * (runs != 1)} and this run</summary>\n\n{body}\n\n</details>"
    )


def _chart_markdown(trend: Trend, chart: Chart) -> str:
    band = trend.band(chart.row, chart.metric)
    unit, scale = _unit(chart.metric)
    runs = trend.history_runs
    caption = f"**{_subject(chart)}** ({unit}), {runs} earlier run{'s' * (runs != 1)} then this run, in blue"
    if band:
        caption += f"; in grey the band's edges ({_edges(band, scale, unit)})."
    else:
        caption += "; no band (not judged against the history)."
    series = trend.series(chart.row, chart.metric)
    points = [
        (label, value) for label, value in zip(run_labels(trend), series, strict=True) if value is not None
    ]
    return caption + "\n\n" + mermaid_xychart(chart.metric, points, band, row=chart.row)


def _edges(band: JudgedBand, scale: float, unit: str) -> str:
    return f"{_number(band.low * scale)}–{_number(band.high * scale)} {unit}"


def run_labels(trend: Trend) -> list[str]:
    """``1``, ``2``, ... for the history's runs, oldest first, and ``this run`` for the last."""
    last = "this run" if trend.current_is_judged else "newest"
    return [str(number) for number in range(1, len(trend.runs))] + [last]


def mermaid_xychart(
    metric: str, points: Sequence[tuple[str, float]], band: JudgedBand | None, *, row: str = AGGREGATE
) -> str:
    """A fenced ``xychart-beta`` block: the metric's line, and the band's edges as two flat grey lines,
    titled with the row, the metric and the band."""
    unit, scale = _unit(metric)
    values = [value * scale for _, value in points]
    edges = [band.high * scale, band.low * scale] if band else []
    top = axis_top(max([*values, *edges]))
    palette = ", ".join([SERIES_COLOUR, *[BAND_COLOUR] * len(edges)])
    labels = ",".join(label if label.isdigit() else f'"{label}"' for label, _ in points)
    where = "aggregate" if row == AGGREGATE else chart_label(row)
    title = f"{where} · {METRIC_LABELS[metric]}"
    if band:
        title += f" · grey: band {_number(band.low * scale)}–{_number(band.high * scale)}"
    lines = [
        "```mermaid",
        "---",
        # One line of YAML flow style: the same config, a third of the characters of block style.
        f"config: {{xyChart: {{width: {CHART_WIDTH}, height: {CHART_HEIGHT}, "
        f"titleFontSize: {TITLE_FONT_SIZE}}}, "
        f'themeVariables: {{xyChart: {{plotColorPalette: "{palette}"}}}}}}',
        "---",
        "xychart-beta",
        f'    title "{title}"',
        f"    x-axis [{labels}]",
        f'    y-axis "{unit}" 0 --> {_number(top)}',
        f"    line [{','.join(_number(value) for value in values)}]",  # no spaces: 15% of a chart
        *(f"    line [{','.join([_number(edge)] * len(points))}]" for edge in edges),
        "```",
    ]
    return "\n".join(lines)


def axis_top(highest: float) -> float:
    """A y-axis top over ``highest`` (5% to 60% of headroom) for which Mermaid draws the
    fewest ticks: its axis takes d3's ``ticks()``, which aims at ten whatever the range (13 for 0–120),
    so 7 is the fewest it can draw (8 for most maxima, at most 11: docs/trend.md)."""
    if highest <= 0 or not math.isfinite(highest):
        return 1.0
    unit = 10 ** math.floor(math.log10(highest)) / 10
    first, last = math.ceil(highest * 1.05 / unit), math.floor(highest * 1.6 / unit)
    candidates = [round(k * unit, 12) for k in range(first, max(first, last) + 1)]
    return min(candidates, key=lambda top: (d3_tick_count(top), top))


def d3_tick_count(top: float, count: int = 10) -> int:
    """How many ticks d3's ``scaleLinear().domain([0, top]).ticks(count)`` gives (d3-array tickIncrement)."""
    if top <= 0 or not math.isfinite(top):
        return 1
    step = top / count
    power = 10 ** math.floor(math.log10(step))
    error = step / power
    factor = (
        10 if error >= math.sqrt(50) else 5 if error >= math.sqrt(10) else 2 if error >= math.sqrt(2) else 1
    )
    step = factor * power
    return math.floor(top / step + 1e-9) + 1


NICE_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
"""Tops of a y axis, times a power of ten: round numbers, close enough that the data fills the chart."""


def nice_ceiling(value: float) -> float:
    """The smallest NICE_STEPS value times a power of ten at or above ``value``: a y-axis top."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(round(step * power, 12) for step in NICE_STEPS if step * power >= value * (1 - 1e-9))


def _subject(chart: Chart) -> str:
    where = "Aggregate" if chart.row == AGGREGATE else code_span(chart.row)
    return f"{where} {METRIC_LABELS[chart.metric]}"


def _unit(metric: str) -> tuple[str, float]:
    return _UNITS.get(metric, ("ms", 1.0))


def _number(value: float) -> str:
    """Finite, short and plain for Mermaid: ``130``, ``4.5``."""
    if not math.isfinite(value):
        return "0"
    return f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}".rstrip("0").rstrip(".") or "0"
