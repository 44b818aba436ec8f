"""One line chart as inline SVG: a metric over runs, the band it was judged against, this run marked.

Drawn by our Python, so the page needs no charting library and no network. Each point carries an
SVG ``<title>`` (the run's facts and value), which browsers show on hover without any script.
Every text that reaches the SVG passes ``html.escape``; the rest is numbers we format.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from loadtest.gate.render.charts import nice_ceiling

WIDTH, HEIGHT = 380, 190
LEFT, RIGHT, TOP, BOTTOM = 46, 24, 26, 30
"""Margins around the plot: room for the y labels, the title and the run numbers."""


@dataclass(frozen=True)
class Point:
    """One run's value (None: the run has no value for this row) and what its hover says."""

    label: str
    """Under the x axis: the run's number, or ``this run``."""
    value: float | None
    hover: str
    """The run's facts; the value is added to it."""


@dataclass(frozen=True)
class Edges:
    low: float
    high: float
    caption: str
    """What the band is, e.g. ``band the gate judged this run against: 45–54 ms (8 runs)``."""


def line_chart(
    title: str, points: Sequence[Point], *, unit: str, edges: Edges | None, mark_last: bool
) -> str:
    """An SVG chart of ``points`` (oldest first) with the band's ``edges``; the last point is marked."""
    values = [point.value for point in points if point.value is not None]
    top = nice_ceiling(max([*values, *((edges.high,) if edges else ())], default=1.0) * 1.1)
    scale = _Scale(count=len(points), top=top)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{_text(title)}">',
        f'<text class="title" x="{LEFT}" y="16">{_text(title)} ({_text(unit)})</text>',
        *_axes(scale, unit),
        *(_band(scale, edges) if edges else ()),
        *_line(scale, points),
        *_points(scale, points, unit, mark_last=mark_last),
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


def _axes(scale: _Scale, unit: str) -> list[str]:
    parts = []
    for tick in (0.0, scale.top / 2, scale.top):
        y = scale.y(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(tick)}</text>'
        )
    return parts


def _band(scale: _Scale, edges: Edges) -> list[str]:
    high, low = scale.y(edges.high), scale.y(edges.low)
    left, right = LEFT, WIDTH - RIGHT
    return [
        f'<g class="band"><title>{_text(edges.caption)}</title>',
        f'<rect x="{left}" y="{high:.1f}" width="{right - left}" height="{max(low - high, 0.5):.1f}"/>',
        f'<line class="edge" x1="{left}" x2="{right}" y1="{high:.1f}" y2="{high:.1f}"/>',
        f'<line class="edge" x1="{left}" x2="{right}" y1="{low:.1f}" y2="{low:.1f}"/>',
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
            f"<title>{_text(hover)}</title></circle>"
        )
    return parts


def _run_labels(scale: _Scale, points: Sequence[Point]) -> list[str]:
    # Every label while they fit; with many runs, every other one (and always the last).
    step = 1 if len(points) <= 12 else 2
    shown = [i for i in range(len(points)) if i % step == 0 or i == len(points) - 1]
    if len(points) > 1 and step > 1 and len(points) - 2 in shown:
        shown.remove(len(points) - 2)  # keeps "this run" clear of its neighbour
    y = HEIGHT - BOTTOM + 16
    return [
        f'<text class="run" x="{scale.x(i):.1f}" y="{y}" text-anchor="middle">{_text(points[i].label)}</text>'
        for i in shown
    ]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:.2g}"


def _text(text: str) -> str:
    return html.escape(text, quote=True)
