"""The trend the charts draw: the history a decision used, this run last, and the bands it judged against.

Plain data on the GateReport (``report.trend``), built where the gate already holds these numbers,
so the comment's charts, the sparklines and trend.html never read a CSV a second way::

    trend = report.trend
    trend.series("GET /api/dashboard/", "p95")     # [48.0, 51.0, ..., 73.0]: oldest first, this run last
    trend.series("GET /api/dashboard/", "typical") # the typical time, from each run's histogram
    trend.bands["GET /api/dashboard/"]["typical"]  # a JudgedBand(center=49.0, low=45.0, high=54.0, runs=8)

The interface with loadtest.gate.noise is ``HistoryDecision.bands`` (row, then metric, then a
JudgedBand; noise.Band is one, with the history's values and the test's figures): whatever statistics
decide, they leave there the band each metric was judged against.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from loadtest.bundle import AGGREGATE, EndpointStats, Results
from loadtest.gate import stats
from loadtest.gate.history import History, HistoryRun, run_from_results


@dataclass(frozen=True, kw_only=True)
class JudgedBand:
    """The band a metric of this run was judged against, in the metric's unit (ms for latency)."""

    center: float
    low: float
    high: float
    """Beyond ``high`` the band's level fires: the level that fired, else the lowest configured one."""
    runs: int
    """Runs of history the band was computed from."""
    level: str = "warn"
    """The level whose edges these are (``warn`` or ``fail``)."""
    current: float | None = None
    """This run's value of the metric, when the band judged one."""
    p_value: float | None = None
    """This run's one-sided p-value against the band, before the run's tests shared the rate."""


Bands = Mapping[str, Mapping[str, JudgedBand]]
"""Row name, then metric, then the band it was judged against."""


@dataclass(frozen=True, kw_only=True)
class Trend:
    """Runs oldest first, this run last, with the bands this run was judged against (none for a baseline)."""

    runs: tuple[HistoryRun, ...]
    bands: Bands = field(default_factory=dict)
    current_is_judged: bool = True
    """True when the last run is a run the gate judged; False for a baseline's own history."""

    @classmethod
    def of_run(cls, history: History, results: Results, bands: Bands | None = None) -> Trend:
        """``history`` (the runs the gate compared with) followed by this run."""
        return cls(runs=(*history.runs, run_from_results(results)), bands=bands or {})

    @classmethod
    def of_baseline(cls, history: History) -> Trend:
        """A baseline's own history: its newest run last, nothing judged."""
        return cls(runs=history.runs, current_is_judged=False)

    @property
    def history_runs(self) -> int:
        """Runs before the last one."""
        return len(self.runs) - 1

    @property
    def current(self) -> HistoryRun:
        return self.runs[-1]

    def row_names(self) -> list[str]:
        """The last run's endpoints in its own order, then the aggregate."""
        if not self.runs:
            return []
        names = [name for name in self.current.rows if name != AGGREGATE]
        return names + [AGGREGATE] if AGGREGATE in self.current.rows else names

    def series(self, row: str, metric: str) -> list[float | None]:
        """``metric`` of ``row`` in every run, oldest first; None where a run lacks the row or the value."""
        return [metric_value(run.rows[row], metric) if row in run.rows else None for run in self.runs]

    def band(self, row: str, metric: str) -> JudgedBand | None:
        return self.bands.get(row, {}).get(metric)


def metric_value(row: EndpointStats, metric: str) -> float | None:
    """A row's metric: the typical response time from its histogram (what the history gate judges),
    any other as recorded."""
    if metric == stats.TYPICAL:
        return stats.typical_ms(row.histogram)
    return row.value(metric)
