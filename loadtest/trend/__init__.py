"""The trend page (trend.html): every endpoint's typical time, p50/p95/p99, requests/s and failure ratio
over the history.

Written into every results bundle after the gate (by the runner, and by ``compare --trend FILE``)
and into every baseline artifact (by record_baseline), from the same data as the summary's charts::

    write_trend_page(bundle / TREND_PAGE, page_for_report(report))      # this run against its history
    write_trend_page(baseline / TREND_PAGE, page_for_baseline(history))  # a baseline's own history

Modules: ``page`` (the HTML document and its selector), ``svg`` (one line chart as inline SVG),
``long`` (a baseline's long history with its change points, over a range the reader picks).
"""

from __future__ import annotations

from pathlib import Path

from loadtest.bundle import AGGREGATE, write_atomically
from loadtest.gate.findings import rank
from loadtest.gate.history import History
from loadtest.gate.render.headline import headline
from loadtest.gate.report import GateReport
from loadtest.gate.series import Trend
from loadtest.trend.long import LongView, long_view, long_view_of_run
from loadtest.trend.page import TrendPage, render_page

__all__ = [
    "TrendPage",
    "long_view",
    "page_for_baseline",
    "page_for_report",
    "render_page",
    "write_trend_page",
]

_ALONE = "each chart shows this run alone."
_NO_HISTORY = {
    "none": f"No baseline, so no history: {_ALONE}",
    "skipped": f"The baseline ran with other settings, so its history was not used: {_ALONE}",
    "compared": f"The baseline has no history this run could be compared with: {_ALONE}",
}


def page_for_report(report: GateReport, *, baseline: Path | None = None) -> TrendPage:
    """This run against the history the gate compared it with (or alone, without one); with the
    ``baseline`` folder it was judged against, that baseline's long history with this run added above
    (loadtest.trend.long.long_view_of_run)."""
    trend = report.trend or Trend.of_run(History(), report.results)
    if report.trend:
        runs = report.trend.history_runs
        notes = [f"This run against {runs} earlier run{'s' * (runs != 1)} of the baseline's history."]
    else:
        notes = [_NO_HISTORY[report.baseline_status]]
    marks = {}
    for row in (AGGREGATE, *report.results.endpoints):
        levels = [finding.level for finding in report.findings_for(row)]
        if levels:
            marks[row] = max(levels, key=rank)
    return TrendPage(
        long=long_view_of_run(report, baseline) if baseline is not None else None,
        trend=trend,
        heading="Load test trend",
        facts=headline(report),
        notes=notes,
        order=_worst_first(report, marks),
        marks=marks,
    )


def _worst_first(report: GateReport, marks: dict[str, str]) -> list[str]:
    """Flagged endpoints worst first (the page opens on the first), then the aggregate, then the rest."""
    endpoints = [row.name for row in report.endpoints_worst_first()]
    flagged = [name for name in endpoints if name in marks]
    return [*flagged, AGGREGATE, *(name for name in endpoints if name not in marks)]


def page_for_baseline(history: History, *, long: LongView | None = None) -> TrendPage:
    """A baseline's own history, its newest run last; no band, since no run was judged here. With
    ``long`` (loadtest.trend.long.long_view), its long history and change points above."""
    return TrendPage(
        long=long,
        trend=Trend.of_baseline(history),
        heading="Load test baseline history",
        facts=f"{len(history)} run{'s' * (len(history) != 1)} of the default branch, oldest first.",
        notes=[
            "No band here: a band is what the gate predicts for a run it judges. The trend.html of each "
            "run's results artifact shows the band that run was judged against."
        ],
    )


def write_trend_page(path: Path, page: TrendPage) -> None:
    """Write the page atomically; OSError (with its filename) if it cannot be written."""
    write_atomically(Path(path), render_page(page))
