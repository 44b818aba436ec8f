"""One line chart as inline SVG: a metric over runs, the band it was judged against, this run marked.

Drawn by our Python, so the page needs no charting library and no network. Each point carries an
SVG ``<title>`` (the run's facts and value), which browsers show on hover without any script.
Every text that reaches the SVG passes ``loadtest.text.untrusted.html_text``; the rest is numbers we format.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from loadtest.text.untrusted import html_text

WIDTH, HEIGHT = 440, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 44, 26, 44
"""Margins around the plot: room for the y labels and title, the band's edge labels, the chart's
title, and the run numbers with the x-axis title."""
TICK_STEPS = (1, 2, 2.5, 5)
"""Steps between y ticks, times a power of ten: round numbers."""
MAX_TICKS = 6


@dataclass(frozen=True)
class Point:
    """One run's value (None: the run has no value for this row) and what its hover says."""

    label: str
    """Under the x axis: the run's number, or ``this run``."""
    value: float | None
    hover: str
    """The run's facts; the value is added to it."""


@dataclass(frozen=True)
class Marker:
    """A change point: a vertical line before the run at ``index``, its hover the change."""

    index: int
    hover: str
    worse: bool


@dataclass(frozen=True)
class Edges:
    low: float
    high: float
    caption: str
    """What the band is, e.g. ``band the gate judged this run against: 45–54 ms (8 runs)``."""


def line_chart(
    title: str,
    points: Sequence[Point],
    *,
    unit: str,
    edges: Edges | None,
    mark_last: bool,
    markers: Sequence[Marker] = (),
    dots: bool = True,
) -> str:
    """An SVG chart of ``points`` (oldest first) with the band's ``edges``; the last point is marked.
    ``markers`` draws change points; without ``dots`` only the line is drawn (hundreds of runs)."""
    values = [point.value for point in points if point.value is not None]
    top, step = y_ticks(max([*values, *((edges.high,) if edges else ())], default=1.0))
    scale = _Scale(count=len(points), top=top)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{html_text(title)}">',
        f'<text class="title" x="{LEFT}" y="16">{html_text(title)} ({html_text(unit)})</text>',
        *_axes(scale, unit, step),
        *(_band(scale, edges) if edges else ()),
        *_line(scale, points),
        *(_points(scale, points, unit, mark_last=mark_last) if dots else ()),
        *_markers(scale, markers),
        *_run_labels(scale, points),
        "</svg>",
    ]
    return "\n".join(parts)


@dataclass(frozen=True)
class _Scale:
    count: int
    top: float

    def x(self, index: int) -> float:
        width = WIDTH - LEFT - RIGHT
        return LEFT + (width / 2 if self.count == 1 else index * width / (self.count - 1))

    def y(self, value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - min(value, self.top) / self.top)


def y_ticks(highest: float) -> tuple[float, float]:
    """The axis top and the step between ticks: 4 to 6 ticks from 0, the top at or above ``highest``
    with a little headroom."""
    if highest <= 0 or not math.isfinite(highest):
        return 1.0, 0.25
    power = 10 ** math.floor(math.log10(highest / MAX_TICKS))
    for factor in (1, 10, 100):
        for base in TICK_STEPS:
            step = base * power * factor
            top = math.ceil(highest * 1.05 / step - 1e-9) * step
            if top / step + 1 <= MAX_TICKS:
                return round(top, 12), round(step, 12)
    return highest, highest  # not reached: a step of 10x the power fits


def _axes(scale: _Scale, unit: str, step: float) -> list[str]:
    parts = []
    for index in range(round(scale.top / step) + 1):
        tick = index * step
        y = scale.y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    middle = (TOP + HEIGHT - BOTTOM) / 2
    parts.append(
        f'<text class="axis" x="12" y="{middle:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {middle:.1f})">{html_text(unit)}</text>'
    )
    parts.append(
        f'<text class="axis" x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">'
        "run, oldest first</text>"
    )
    return parts


def _band(scale: _Scale, edges: Edges) -> list[str]:
    high, low = scale.y(edges.high), scale.y(edges.low)
    left, right = LEFT, WIDTH - RIGHT
    return [
        f'<g class="band"><title>{html_text(edges.caption)}</title>',
        f'<rect x="{left}" y="{high:.1f}" width="{right - left}" height="{max(low - high, 0.5):.1f}"/>',
        f'<line class="edge" x1="{left}" x2="{right}" y1="{high:.1f}" y2="{high:.1f}"/>',
        f'<line class="edge" x1="{left}" x2="{right}" y1="{low:.1f}" y2="{low:.1f}"/>',
        f'<text class="edge-label" x="{right + 4}" y="{high + 3:.1f}">{_number(edges.high)}</text>',
        f'<text class="edge-label" x="{right + 4}" y="{max(low + 3, high + 13):.1f}">'
        f"{_number(edges.low)}</text>",
        "</g>",
    ]


def _line(scale: _Scale, points: Sequence[Point]) -> list[str]:
    """The metric's line, broken where a run has no value."""
    runs: list[list[str]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            runs.append([])
        else:
            runs[-1].append(f"{scale.x(index):.1f},{scale.y(point.value):.1f}")
    return [f'<polyline class="series" points="{" ".join(run)}"/>' for run in runs if len(run) > 1]


def _points(scale: _Scale, points: Sequence[Point], unit: str, *, mark_last: bool) -> list[str]:
    parts = []
    for index, point in enumerate(points):
        if point.value is None:
            continue
        current = mark_last and index == len(points) - 1
        hover = f"{point.hover} · {_number(point.value)} {unit}"
        kind, radius = ("point current", 5) if current else ("point", 3)
        parts.append(
            f'<circle class="{kind}" cx="{scale.x(index):.1f}" cy="{scale.y(point.value):.1f}" r="{radius}">'
            f"<title>{html_text(hover)}</title></circle>"
        )
    return parts


def _markers(scale: _Scale, markers: Sequence[Marker]) -> list[str]:
    """Each change point as a dashed vertical line between its runs, with a wide invisible line over
    it that takes the hover (a 1.5 px line is hard to point at)."""
    parts = []
    for marker in markers:
        x = scale.x(marker.index) - (scale.x(1) - scale.x(0)) / 2 if scale.count > 1 else scale.x(0)
        kind = "change worse" if marker.worse else "change better"
        line = f'x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"'
        parts.append(
            f'<g class="{kind}"><title>{html_text(marker.hover)}</title>'
            f'<line class="marker" {line}/><line class="hit" {line}/></g>'
        )
    return parts


def _run_labels(scale: _Scale, points: Sequence[Point]) -> list[str]:
    # Every label while they fit; with many runs, every other one, or about ten (and always the last).
    step = 1 if len(points) <= 12 else 2 if len(points) <= 24 else math.ceil(len(points) / 10)
    shown = [i for i in range(len(points)) if i % step == 0 or i == len(points) - 1]
    if len(shown) > 2 and step > 1 and shown[-1] - shown[-2] <= max(1, step // 2):
        shown.pop(-2)  # keeps the last run's label clear of its neighbour
    y = HEIGHT - BOTTOM + 14
    return [
        f'<text class="run" x="{scale.x(i):.1f}" y="{y}" text-anchor="middle">'
        f"{html_text(points[i].label)}</text>"
        for i in shown
    ]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:.3g}"
