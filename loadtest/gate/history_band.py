"""The band a metric's history predicts for this run, and one run's test against it: the statistics
of the history gate (loadtest.gate.noise decides with them).

Every metric is judged on the log scale, where a slowdown by a factor is a shift:

* **typical response time**: the mean log latency of the middle 80% of the row's requests
  (stats.trimmed_log_mean), the evidence of the whole distribution rather than one rank; a heavy
  tail cannot drag it. Percentiles can be judged too (``regression.history.metrics``);
* **common mode** (``CommonMode``): a slower runner or network moves every endpoint together, so
  each endpoint is judged against its history *relative to the run's other endpoints*: the
  run-wide shift is the precision-weighted mean shift of the other endpoints' typical times
  (leaving out the endpoint judged, and any endpoint that moved by itself), taken out of this run
  and of every history run;
* **the band** (``Series.test``): centred on the median of the last ``center_runs`` (adjusted)
  history runs; its width is the runner's own run-to-run noise (the history's mean square
  successive difference, less the sampling noise those runs carried; pooled across endpoints by
  ``PooledNoise``), plus this run's sampling noise, plus the centre's uncertainty. Sampling noise
  is read off each run's own histogram (the winsorized variance of the trimmed mean; for a
  percentile the order-statistic interval). The runner's part is estimated from ten runs or so,
  so its degrees of freedom (Welch-Satterthwaite) turn the score into a p-value of Student's t.

Assumptions: runs in the history are exchangeable apart from a slow drift; the log of each metric
is roughly normal between runs; the noise every endpoint shares is one factor for all of them;
the history's runs had about as many requests as this one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from loadtest.bundle import AGGREGATE, PERCENTILES, EndpointStats
from loadtest.gate import stats
from loadtest.gate.series import JudgedBand
from loadtest.gate.stats import TYPICAL

_MEDIAN_VARIANCE = math.pi / 2
"""The variance of a median of k normal values is about pi/2 times that of their mean."""
OWN_NOISE_LEVEL = 0.01
"""An endpoint whose own run-to-run spread is beyond the pooled one's at this level (chi-square)
keeps its own estimate: it is noisier than the rest, and the pool would understate it."""
OUTLIER_K = 3.0
"""An endpoint whose shift is further than this many standard errors from the median shift is left
out of the run-wide shift: it moved by itself."""


@dataclass(frozen=True, kw_only=True)
class Band(JudgedBand):
    """What the history predicts for one metric of one row in this run, and where the run falls.

    A JudgedBand (loadtest.gate.series: ``center``, ``low``, ``high``, ``runs``, ``level``, what the
    charts draw), in ms (requests/s for ``rps``): ``high`` is where the metric fires at ``level``
    (the statistical edge or the minimum effect, whichever is higher; for requests/s ``low`` is),
    ``level`` the level that fired, else the lowest configured one.
    """

    row: str
    metric: str
    values: tuple[float, ...]
    """The history's per-run values of the metric, oldest first (the run-wide shift not taken out)."""
    current: float
    run_shift: float = 1.0
    """The run-wide factor the centre includes (the run's other endpoints); 1.0 for the aggregate."""
    sd_log: float
    """The band's standard deviation on the log scale."""
    p_value: float


@dataclass(frozen=True)
class RowSummary:
    """What the decision uses of one row of one run: log values and their sampling variances."""

    requests: int
    logs: Mapping[str, float]
    variances: Mapping[str, float]


def summarize(row: EndpointStats, metrics: Sequence[str]) -> RowSummary:
    """The row's metrics on the log scale with their sampling variances (cached: history runs recur)."""
    return _summary(
        row.requests,
        tuple(sorted(row.histogram.items())),
        tuple((metric, row.value(metric)) for metric in metrics if metric != TYPICAL),
        TYPICAL in metrics,
    )


@lru_cache(maxsize=8192)
def _summary(
    requests: int,
    histogram: tuple[tuple[float, int], ...],
    percentiles: tuple[tuple[str, float | None], ...],
    typical: bool,
) -> RowSummary:
    hist = dict(histogram)
    logs = {metric: stats.log_ms(value) for metric, value in percentiles if value}
    variances = dict.fromkeys(logs, 0.0)
    if hist and typical:
        logs[TYPICAL] = stats.trimmed_log_mean(hist)
        variances[TYPICAL] = stats.trimmed_mean_variance(hist)
    for metric in logs:
        if hist and metric in PERCENTILES:
            variances[metric] = stats.order_statistic_variance(hist, PERCENTILES[metric])
    return RowSummary(requests, logs, variances)


def run_to_run_variance(logs: Sequence[float]) -> float:
    """Variance of one run's log value from consecutive differences (von Neumann's mean square
    successive difference): a slow drift barely inflates it; runs alternating between two modes do.

    Not the median of the differences: Locust's rounding makes them a few whole steps, and a
    median of those rounds the spread up to the next step (measured: 0.041 for a true 0.027).
    """
    if len(logs) < 2:
        return 0.0
    steps = [b - a for a, b in zip(logs, logs[1:], strict=False)]
    return sum(step * step for step in steps) / (2 * len(steps))


def mssd_degrees_of_freedom(runs: int) -> float:
    """Degrees of freedom of the mean square successive difference of ``runs`` normal values: its
    variance is (3k - 4) / (k - 1)^2 sigma^4 against 2 / (k - 1) for the sample variance's."""
    return 2 * (runs - 1) ** 2 / (3 * runs - 4) if runs >= 2 else 1.0


def sampling_df(requests: int, metric: str) -> float:
    """Degrees of freedom of a row's sampling variance as ``summarize`` estimates it: the typical
    time's winsorized variance rests on the requests it keeps; a percentile's is not counted."""
    if metric != TYPICAL:
        return math.inf
    return max(1.0, (1 - 2 * stats.TRIM) * requests - 1)


# --- one test: a metric of a row against its band ----------------------------------------


@dataclass(frozen=True, kw_only=True)
class BandTest:
    """One metric of one row against its band: the score, its p-value, the band at a level."""

    row: str
    metric: str
    values: tuple[float, ...]
    """The history's per-run values, in ms or req/s."""
    expected_log: float
    """The band's centre for this run, log scale (the run-wide shift included)."""
    current_log: float
    variance: float
    df: float
    run_shift: float
    lower_is_worse: bool = False

    @property
    def score(self) -> float:
        shift = self.current_log - self.expected_log
        shift = -shift if self.lower_is_worse else shift
        if self.variance <= 0:
            return math.copysign(math.inf, shift) if shift else 0.0
        return shift / math.sqrt(self.variance)

    @property
    def p_value(self) -> float:
        score = self.score
        if math.isinf(score):
            return 0.0 if score > 0 else 1.0
        return stats.t_upper_p(score, self.df)

    def critical(self, level: float) -> float:
        """The score beyond which the test fires at ``level``."""
        return stats.t_quantile(1 - level, self.df)

    def band(self, level: float) -> Band:
        """The statistical band at ``level`` (before the minimum effect)."""
        spread = math.exp(self.critical(level) * math.sqrt(self.variance))
        center = math.exp(self.expected_log)
        return Band(
            row=self.row,
            metric=self.metric,
            values=self.values,
            runs=len(self.values),
            center=center,
            low=center / spread,
            high=center * spread,
            current=math.exp(self.current_log),
            run_shift=self.run_shift,
            sd_log=math.sqrt(self.variance),
            p_value=self.p_value,
        )


@dataclass(frozen=True, kw_only=True)
class Series:
    """One metric of one row over the history and in this run, the run-wide shifts taken out."""

    row: str
    metric: str
    history: Sequence[tuple[float, float]]
    """(log value, sampling variance) per history run, oldest first; the variance includes the
    run-wide shift's when one is taken out."""
    current: tuple[float, float]
    offsets: Sequence[float]
    """The run-wide shift (log) taken out of each history run."""
    offset: float = 0.0
    """The run-wide shift of this run: the band's centre moves by it."""
    sampling_df: float = math.inf
    """Degrees of freedom of this run's sampling variance, estimated from its own requests (for the
    typical time the requests it keeps, less one): on a row of 20 requests that estimate is rough."""
    lower_is_worse: bool = False

    @property
    def adjusted(self) -> list[float]:
        return [value - shift for (value, _), shift in zip(self.history, self.offsets, strict=True)]

    @property
    def sampling_then(self) -> float:
        return statistics.fmean(variance for _, variance in self.history)

    @property
    def spread(self) -> float:
        """The history's run-to-run variance (mean square successive difference)."""
        return run_to_run_variance(self.adjusted)

    @property
    def own_between(self) -> float:
        """The runner's own noise this series shows: its spread less the sampling noise it carried."""
        return self.spread - self.sampling_then

    @property
    def ratio(self) -> float:
        """The history's run-to-run variance in units of its sampling variance: 1 when the runner
        adds nothing beyond the requests' own noise."""
        return self.spread / self.sampling_then if self.sampling_then > 0 else math.inf

    def runner_noise(self, pooled: PooledNoise | None) -> tuple[float, float]:
        """(variance, the estimate's squared scale over its degrees of freedom: its Satterthwaite
        term) of the runner's own noise on this series: the pooled ratio's excess over 1 times this
        series' sampling noise, or what its own history shows when unpooled or noisier than the pool."""
        if pooled is not None and not pooled.exceeded_by(self):
            return pooled.between(self.sampling_then), (pooled.ratio * self.sampling_then) ** 2 / pooled.df
        between = max(0.0, self.own_between)
        return between, between**2 / mssd_degrees_of_freedom(len(self.history))

    def test(
        self, *, center_runs: int, satterthwaite: bool = True, pooled: PooledNoise | None = None
    ) -> BandTest:
        """This run against the band: the centre, the runner's noise (what the history shows beyond
        its sampling noise, pooled across endpoints when ``pooled`` is given), this run's sampling
        noise and the centre's."""
        between, between_term = self.runner_noise(pooled)
        recent = self.adjusted[-center_runs:]
        center = statistics.median(recent)
        center_variance = _MEDIAN_VARIANCE * (between + self.sampling_then) / len(recent)
        variance = between + self.current[1] + center_variance
        df = math.inf
        if satterthwaite:
            # Welch-Satterthwaite over the estimated parts: the runner's (from the history's spread)
            # and this run's sampling noise (from its own requests); the history's sampling noise
            # rests on K runs' requests and the centre's on the runner's, so they add no term.
            parts = self.current[1] ** 2 / self.sampling_df
            if between > 0:
                parts += between_term
            df = variance**2 / parts if parts > 0 else math.inf
        return BandTest(
            row=self.row,
            metric=self.metric,
            values=tuple(math.exp(value) for value, _ in self.history),
            expected_log=center + self.offset,
            current_log=self.current[0],
            variance=variance,
            df=df,
            run_shift=math.exp(self.offset),
            lower_is_worse=self.lower_is_worse,
        )


@dataclass(frozen=True)
class PooledNoise:
    """The runner's noise on the endpoints, beyond their sampling noise, as one estimate pooled
    across them: the ratio of each endpoint's run-to-run variance (its history's mean square
    successive difference, the run-wide shift taken out) to the sampling variance its runs
    carried, averaged over the endpoints with their degrees of freedom as weights.

    Each endpoint's own estimate rests on about 10 runs (6 degrees of freedom for the successive
    differences of 10 runs): as a variance it is itself noise, and a band resting on it swings
    with which runs form the history. In units of each endpoint's sampling noise the endpoints
    tell about one thing (how much more a run varies than its requests say: a runner that moves
    endpoints apart, or a sampling formula that understates a heavy tail), so pooled it rests on
    every endpoint's runs: 13 endpoints x 10 runs give about 80 degrees of freedom.
    """

    ratio: float
    """Run-to-run variance over sampling variance, pooled: 1 means the runner adds nothing."""
    df: float
    """Degrees of freedom of the pooled ratio: the endpoints' summed."""
    endpoints: int

    def between(self, sampling: float) -> float:
        """The runner's variance on a series whose runs carried ``sampling`` variance."""
        return max(0.0, self.ratio - 1) * sampling

    def exceeded_by(self, series: Series) -> bool:
        """Is ``series`` noisier than the pool, beyond chance at OWN_NOISE_LEVEL? Then it keeps its
        own estimate (an endpoint with noise of its own is not held to the others' band)."""
        df = mssd_degrees_of_freedom(len(series.history))
        if self.ratio <= 0:  # every run alike (synthetic histories): any spread is its own
            return series.ratio > 0
        return series.ratio * df / self.ratio > stats.chi2_quantile(1 - OWN_NOISE_LEVEL, df)


def pool_runner_noise(series: Sequence[Series]) -> PooledNoise | None:
    """The endpoints' pooled ratio (``PooledNoise``), from every series with sampling noise; None
    without any."""
    usable = [s for s in series if s.sampling_then > 0 and len(s.history) >= 2]
    if not usable:
        return None
    weights = [mssd_degrees_of_freedom(len(s.history)) for s in usable]
    ratio = sum(w * s.ratio for w, s in zip(weights, usable, strict=True)) / sum(weights)
    return PooledNoise(ratio=ratio, df=sum(weights), endpoints=len(usable))


def band_test(
    row: str,
    metric: str,
    history: Sequence[tuple[float, float]],
    current: tuple[float, float],
    *,
    center_runs: int,
    satterthwaite: bool = True,
    lower_is_worse: bool = False,
) -> BandTest:
    """One metric against its own history alone: ``history`` and ``current`` are (log value,
    sampling variance), oldest first; the runner's noise is what this history shows."""
    series = Series(
        row=row,
        metric=metric,
        history=history,
        current=current,
        offsets=[0.0] * len(history),
        lower_is_worse=lower_is_worse,
    )
    return series.test(center_runs=center_runs, satterthwaite=satterthwaite)


def common_mode_weight(shifts: Sequence[tuple[float, float]], variance: float) -> float:
    """How much of the run-wide shift to take out: tau^2 / (tau^2 + variance), where tau^2 is the
    runner's common noise the history's run-wide shifts show beyond their sampling noise and
    ``variance`` this run's shift's sampling noise. Taking out ``w`` times the shift leaves
    (1 - w)^2 tau^2 + w^2 variance, least at this ``w``: all of it on a runner that moves every
    endpoint together, none when the shift is only the other endpoints' sampling noise."""
    common = run_to_run_variance([shift for shift, _ in shifts])
    common -= statistics.fmean(v for _, v in shifts) if shifts else 0.0
    common = max(0.0, common)
    return common / (common + variance) if common + variance > 0 else 0.0


class CommonMode:
    """The run-wide shift of a run: how far its endpoints' typical times moved together from their
    history's medians, leaving out the endpoint being judged.

    A precision-weighted mean of the endpoints' shifts, leaving out any endpoint more than
    OUTLIER_K standard errors from the median shift (one that moved by itself, a regression), so
    that a slowdown of one endpoint does not move the others' run-wide shift.
    """

    def __init__(self, now: Mapping[str, RowSummary], past: Sequence[Mapping[str, RowSummary]]) -> None:
        self.centers: dict[str, float] = {}
        for name in now:
            values = [run[name].logs[TYPICAL] for run in past if name in run and TYPICAL in run[name].logs]
            if name != AGGREGATE and values:
                self.centers[name] = statistics.median(values)

    def shift(self, run: Mapping[str, RowSummary], *, leave_out: str) -> tuple[float, float]:
        """(log shift, its sampling variance) of ``run`` (every row's summary) without ``leave_out``."""
        parts = [
            (summary.logs[TYPICAL] - self.centers[name], summary.variances[TYPICAL])
            for name, summary in run.items()
            if name != leave_out and name in self.centers and summary.variances.get(TYPICAL, 0) > 0
        ]
        if not parts:
            return 0.0, 0.0
        middle = statistics.median(shift for shift, _ in parts)
        kept = [(shift, v) for shift, v in parts if abs(shift - middle) <= OUTLIER_K * math.sqrt(v)]
        if not kept:
            return middle, _MEDIAN_VARIANCE / sum(1 / v for _, v in parts)
        total = sum(1 / v for _, v in kept)
        return sum(shift / v for shift, v in kept) / total, 1 / total
