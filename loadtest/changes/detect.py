"""Change-point detection over the long history with Apache Otava's E-divisive means detector.

Otava (``apache-otava``, formerly DataStax's Hunter; Fleming et al., ICPE 2023) splits a series in
sliding windows with E-divisive means (Matteson and James) at a loose p-value, then merges the weak
change points away until each one left is significant (two-sided t-test of its two segments) and
large enough. Only its ``otava.analysis`` module is used, which needs numpy and scipy alone; the
package itself would pull BigQuery, PostgreSQL and Slack clients and pin numpy, so requirements.txt
lists numpy and scipy and requirements-changes.txt installs Otava with ``--no-deps`` (docs/changes.md).

Two things are added around Otava's ``split`` and ``merge``, both measured (docs/changes.md):

* its merge step recomputes only the change point *after* the one it removes, so the one before
  keeps the statistics of its old, shorter segment: on unchanged series that left "changes" of
  +14% between segments whose means differ by 0.7%. Here every change point's statistics are
  recomputed from its final neighbours and the merge repeated until every one left passes;
* a change point needs ``min_segment_runs`` runs on each side: one slow night (a busy runner)
  otherwise shows as two change points around a segment of one run;
* an endpoint's typical time is searched relative to its run (``run_shifts``), as the gate judges
  it, and a wild night is brought back to 5 robust standard deviations (``clipped``); the segment
  medians reported are of the times as measured.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from loadtest.bundle import AGGREGATE
from loadtest.changes.rules import ChangeRules
from loadtest.gate.long_history import LongHistory, LongRun

METRICS = ("typical", "failure_ratio")
"""The series each row is searched: latency as the gate judges it, and reliability."""


class DetectorMissing(RuntimeError):
    """apache-otava is not installed."""


@dataclass(frozen=True, kw_only=True)
class ChangePoint:
    """A change in one row's metric: the runs before it and the runs from it on."""

    endpoint: str
    metric: str
    preset: str | None
    target: str | None
    before: float
    """Median of the segment before (the runs since the previous change point)."""
    after: float
    """Median of the segment after (up to the next change point)."""
    pvalue: float
    last_before: LongRun
    first_after: LongRun
    runs_before: int
    """Runs between the previous change point (or the start) and this one."""
    runs_after: int
    run_index: int
    """Index in the preset and target's runs of the first run after the change."""

    @property
    def change(self) -> float:
        """after / before - 1 for a latency; after - before (absolute) for a failure ratio."""
        if self.metric == "failure_ratio":
            return self.after - self.before
        return self.after / self.before - 1 if self.before else 0.0

    @property
    def worse(self) -> bool:
        return self.after > self.before


def _otava():
    try:
        from otava import analysis
    except ImportError:
        raise DetectorMissing(
            "change points need apache-otava: pip install --no-deps -r requirements-changes.txt"
        ) from None
    return analysis


def change_indexes(values: Sequence[float], rules: ChangeRules, *, metric: str) -> list[tuple[int, float]]:
    """(index of the first value after a change, p-value) for each change point in ``values``."""
    if len(values) < 2 * rules.min_segment_runs or len(set(values)) < 2:
        return []
    analysis = _otava()
    series = [float(value) for value in values]
    # Otava's magnitude is relative; a failure ratio's change is judged absolute, after the merge.
    magnitude = rules.min_magnitude if metric != "failure_ratio" else 0.0
    tester = analysis.TTestSignificanceTester(rules.max_pvalue)
    first_pass = rules.max_pvalue * 10 if rules.max_pvalue < 0.05 else rules.max_pvalue
    points = analysis.split(series, max(rules.window_runs, 2), first_pass)
    while True:
        points = _fresh(analysis.merge(list(points), series, rules.max_pvalue, magnitude), series, tester)
        failing = [point for point in points if not _passes(point, series, points, rules, metric, magnitude)]
        if not failing:
            return [(int(point.index), float(point.stats.pvalue)) for point in points]
        weakest = max(failing, key=lambda point: (_pvalue(point), -point.stats.change_magnitude()))
        points = _fresh([point for point in points if point is not weakest], series, tester)


def _fresh(points, series, tester):
    """Every change point's statistics recomputed from its final neighbours (see the module's note)."""
    intervals = tester.get_intervals(points)
    return [tester.change_point(point.to_candidate(), series, intervals) for point in points]


def _pvalue(point) -> float:
    value = float(point.stats.pvalue)
    return value if value == value else 1.0  # a NaN (two constant segments) is no evidence


def _passes(point, series, points, rules: ChangeRules, metric: str, magnitude: float) -> bool:
    bounds = [0, *(int(p.index) for p in points), len(series)]
    at = bounds.index(int(point.index))
    before, after = series[bounds[at - 1] : bounds[at]], series[bounds[at] : bounds[at + 1]]
    if min(len(before), len(after)) < rules.min_segment_runs or _pvalue(point) >= rules.max_pvalue:
        return False
    if metric == "failure_ratio":
        return abs(statistics.median(after) - statistics.median(before)) >= rules.min_failure_change
    return point.stats.change_magnitude() > magnitude


def find_changes(history: LongHistory, rules: ChangeRules) -> list[ChangePoint]:
    """Change points of every row and metric, of every preset and target, newest first."""
    found: list[ChangePoint] = []
    for preset, target in history.series_keys():
        runs = history.of(preset, target).runs
        names = dict.fromkeys(name for run in runs for name in run.rows)
        shifts = run_shifts(runs)
        for name in names:
            for metric in METRICS:
                found += _row_changes(runs, name, metric, rules, shifts)
    return sorted(found, key=lambda point: (point.first_after.ended_at or "", point.endpoint), reverse=True)


def run_shifts(runs: Sequence[LongRun]) -> list[float]:
    """Each run's shift common to its endpoints: the median over the endpoints of typical time /
    that endpoint's median typical time over the runs (1.0 for a run without endpoints).

    A shared runner or network makes a whole run faster or slower (4% under the calibration's
    mixture model): the gate judges each endpoint relative to the run's other endpoints for that
    reason (loadtest/gate/noise.py), and the search does the same. A median is not moved by one
    endpoint that changed; a change of every endpoint shows in the aggregate, searched as measured.
    """
    names = {name for run in runs for name in run.rows if name != AGGREGATE}
    medians = {}
    for name in names:
        values = [v for run in runs if (v := run.value(name, "typical"))]
        if values:
            medians[name] = statistics.median(values)
    shifts = []
    for run in runs:
        ratios = [v / medians[name] for name in medians if (v := run.value(name, "typical"))]
        shifts.append(statistics.median(ratios) if ratios else 1.0)
    return shifts


OUTLIER_SPREADS = 5.0
"""How far from the series' median a typical time is searched as it is, in robust standard deviations."""


def clipped(values: Sequence[float]) -> list[float]:
    """``values`` with any beyond OUTLIER_SPREADS robust standard deviations (1.4826 x the median
    absolute deviation) of their median brought back to that distance.

    Otava's t-test takes one wild night (a run on an overloaded machine, 5 times slower on some
    endpoints) as spread: it then hides a change point next to it, e.g. a series that returned.
    Bringing the night back to the edge keeps it a high value without letting it hide the rest. A
    large step stays large (a +30% step over 4% noise is searched as +20%); the medians reported
    are of the values as measured.
    """
    if len(values) < 3:
        return list(values)
    centre = statistics.median(values)
    spread = 1.4826 * statistics.median(abs(value - centre) for value in values)
    if spread == 0:
        return list(values)
    low, high = centre - OUTLIER_SPREADS * spread, centre + OUTLIER_SPREADS * spread
    return [min(max(value, low), high) for value in values]


def _row_changes(
    runs: Sequence[LongRun], name: str, metric: str, rules: ChangeRules, shifts: Sequence[float]
) -> list[ChangePoint]:
    kept = [(number, run.value(name, metric)) for number, run in enumerate(runs)]
    kept = [(number, value) for number, value in kept if value is not None]
    values = [value for _, value in kept]
    searched = values
    if metric == "typical":
        if name != AGGREGATE:
            searched = [value / shifts[number] for number, value in kept]
        searched = clipped(searched)
    points = change_indexes(searched, rules, metric=metric)
    bounds = [0, *(index for index, _ in points), len(values)]
    found = []
    for at, (index, pvalue) in enumerate(points, start=1):
        before, after = values[bounds[at - 1] : index], values[index : bounds[at + 1]]
        first = runs[kept[index][0]]
        found.append(
            ChangePoint(
                endpoint=name,
                metric=metric,
                preset=first.preset,
                target=first.target,
                before=statistics.median(before),
                after=statistics.median(after),
                pvalue=pvalue,
                last_before=runs[kept[index - 1][0]],
                first_after=first,
                runs_before=len(before),
                runs_after=len(after),
                run_index=kept[index][0],
            )
        )
    return found


def recent(points: Sequence[ChangePoint], history: LongHistory, days: int) -> list[ChangePoint]:
    """The change points whose first run after is within ``days`` of the history's newest run."""
    newest = max((_time(run.ended_at) for run in history.runs if _time(run.ended_at)), default=None)
    if newest is None:
        return list(points)
    since = newest - timedelta(days=days)
    return [point for point in points if (_time(point.first_after.ended_at) or newest) >= since]


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    from loadtest.bundle.typed_json import parse_time

    return parse_time(text, "long history", "ended_at")
