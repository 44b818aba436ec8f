"""The long history on trend.html: each row's typical time over up to 400 runs, its change points marked.

A baseline carries the long history (loadtest.gate.long_history); its trend.html, and the trend.html
of a run judged against it (with the run added: a nightly that fails records no baseline), draw the
newest run's preset and target, each row over the last 30, the last 90 or all its runs (a selector on the
page; each range is its own chart, so the page stays without any network or library), with every
change point of the row's typical time (loadtest.changes) as a vertical line whose hover gives the
change (before → after, %), the day and the commits between. Without apache-otava the runs are
drawn and the page says the change points are missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtest.changes.detect import ChangePoint, DetectorMissing, find_changes
from loadtest.changes.render import commit, console_line, day
from loadtest.changes.rules import ChangeRules, change_rules
from loadtest.gate.errors import GateInputError
from loadtest.gate.long_history import LongHistory, LongRun, long_run_from_results, previous_long_history
from loadtest.gate.report import GateReport
from loadtest.gate.stats import TYPICAL
from loadtest.gate.thresholds import load_thresholds
from loadtest.text.untrusted import console_text, html_text
from loadtest.trend.svg import Marker, Point, line_chart

RANGES = (("30", 30), ("90", 90), ("all", None))
"""The range selector's choices: the last 30 runs, the last 90, all of them (the page opens on all)."""
RANGE_LABELS = {"30": "last 30 runs", "90": "last 90 runs", "all": "all runs"}


@dataclass(frozen=True)
class LongView:
    """One preset and target's long history and its change points of the typical time."""

    history: LongHistory
    points: Sequence[ChangePoint]
    note: str


def long_view(history: LongHistory, rules: ChangeRules) -> LongView | None:
    """The newest run's preset and target, searched; None without runs."""
    if not history.runs:
        return None
    preset, target = history.runs[-1].series_key
    series = history.of(preset, target)
    shown = (console_text(text or "?", limit=40) for text in (preset, target))
    what = "{} runs of {} on {}".format(len(series), *shown)
    try:
        points = [point for point in find_changes(series, rules) if point.metric == TYPICAL]
    except DetectorMissing as exc:
        return LongView(series, (), f"Long history: {what}. No change points: {exc}.")
    except (ValueError, ArithmeticError) as exc:
        # The page is a view of a history already recorded: a series the detector cannot take costs
        # its markers, never the baseline (record-baseline writes this page last).
        reason = console_text(str(exc), limit=120)
        return LongView(series, (), f"Long history: {what}. Change points could not be searched: {reason}.")
    found = f"{len(points)} change point{'s' * (len(points) != 1)}"
    return LongView(series, points, f"Long history: {what}, {found} of the typical time (dashed lines).")


def long_view_of_run(report: GateReport, baseline: Path | None) -> LongView | None:
    """The baseline's long history with this run added, searched; None without one. A long history
    that cannot be read leaves the page without it: the page is a view, and the run has its verdict."""
    try:
        earlier = previous_long_history(baseline)
        rules = change_rules(load_thresholds(report.thresholds))
    except (ValueError, GateInputError):  # BundleError and HistoryError are ValueErrors
        return None
    if not earlier.runs:
        return None
    return long_view(earlier.rolled(long_run_from_results(report.results)), rules)


def range_selector() -> str:
    options = "\n".join(
        f'<option value="{key}"{" selected" if key == "all" else ""}>{RANGE_LABELS[key]}</option>'
        for key, _ in RANGES
    )
    return f'<p><label for="range">Long history</label>\n<select id="range">\n{options}\n</select></p>'


def long_figures(view: LongView, name: str) -> str:
    """The row's charts of the long history, one per range (all but ``all`` hidden until chosen)."""
    runs = view.history.runs
    if not any(run.value(name, TYPICAL) is not None for run in runs):
        return ""
    figures = []
    for key, count in RANGES:
        first = max(0, len(runs) - count) if count else 0
        points = [
            Point(str(first + i + 1), run.value(name, TYPICAL), _hover(run))
            for i, run in enumerate(runs[first:])
        ]
        markers = [
            Marker(point.run_index - first, console_line(point), point.worse)
            for point in view.points
            if point.endpoint == name and point.run_index > first
        ]
        title = f"Typical time, {RANGE_LABELS[key]}"
        chart = line_chart(
            title, points, unit="ms", edges=None, mark_last=False, markers=markers, dots=len(points) <= 30
        )
        hidden = "" if key == "all" else " hidden"
        figures.append(f'<figure class="long" data-range="{key}"{hidden}>\n{chart}\n</figure>')
    caption = f'<p class="caption">{html_text(view.note)}</p>'
    return f'<div class="charts long">\n{"".join(figures)}\n</div>\n{caption}\n'


def _hover(run: LongRun) -> str:
    """A run's hover (while 30 runs or fewer are drawn): its commit and day, as change points show them."""
    return f"commit {commit(run.commit)} · ended {day(run.ended_at)}"
