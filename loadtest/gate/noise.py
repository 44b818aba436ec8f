"""The history gate: each endpoint against the band its history predicts for this run.

Every metric is judged on the log scale, where a slowdown by a factor is a shift:

* **typical response time**: the mean log latency of the middle 80% of the row's requests
  (stats.trimmed_log_mean), the evidence of the whole distribution rather than one rank; a heavy
  tail cannot drag it. Percentiles can be judged too (``regression.history.metrics``); by default
  they are only reported: measured, p95 and p99 cost detections and added false alarms;
* **common mode**: a slower runner or network moves every endpoint together. So each endpoint is
  judged against its history *relative to the run's other endpoints*: the run-wide shift is the
  precision-weighted mean shift of the other endpoints' typical times (leaving out the endpoint
  judged, and any endpoint that moved by itself), taken out of this run and of every history
  run. The aggregate is judged without it, against its own history: the run-wide test, which
  catches a slowdown of every endpoint, with its own minimum effect (``run_wide_relative``);
* **the band**: centred on the median of the last ``center_runs`` (adjusted) history runs; its
  width is the runner's own run-to-run noise (the history's mean square successive difference,
  less the sampling noise those runs carried), plus this run's sampling noise, plus the centre's
  uncertainty. Sampling noise is read off each run's own histogram (the winsorized variance of
  the trimmed mean; for a percentile the order-statistic interval). The runner's part is
  estimated from ten runs or so, so its degrees of freedom (Welch-Satterthwaite) turn the score
  into a p-value of Student's t;
* **multiple testing**: any flag on any row is a false alarm for an unchanged commit, so the
  per-run rate of thresholds.json is shared by every metric of the run with Holm's step-down
  procedure (the same family-wise rate as Bonferroni, more power when one thing clearly moved);
* **minimum effect**: a flag also needs the metric slower than the band's centre by the level's
  relative AND absolute minimum, so a certain but tiny change (2 ms becoming 3 ms) never fires.
  Relative, it scales with the endpoint's own latency; the band scales with its spread.

Requests/s is judged for the run as a whole, downwards, in the same family; the failure ratio
keeps its fixed tolerance against the latest run. Rows with fewer than ``min_runs`` runs of
history use the fixed tolerances throughout (``fallback_rows``).

Assumptions: runs in the history are exchangeable apart from a slow drift; the log of each metric
is roughly normal between runs; the noise every endpoint shares is one factor for all of them;
the history's runs had about as many requests as this one.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from loadtest.bundle import AGGREGATE, PERCENTILES, EndpointStats, Results
from loadtest.gate import stats
from loadtest.gate.findings import Finding, Level, latency_out_of_band, throughput_out_of_band
from loadtest.gate.history import History
from loadtest.gate.regression import tolerance_decision
from loadtest.gate.series import JudgedBand
from loadtest.gate.stats import TYPICAL
from loadtest.gate.tails import judgeable
from loadtest.gate.thresholds import HistoryRule, RegressionRules, Tolerance

_MEDIAN_VARIANCE = math.pi / 2
"""The variance of a median of k normal values is about pi/2 times that of their mean."""
OWN_NOISE_LEVEL = 0.01
"""An endpoint whose own run-to-run spread is beyond the pooled one's at this level (chi-square)
keeps its own estimate: it is noisier than the rest, and the pool would understate it."""
OUTLIER_K = 3.0
"""An endpoint whose shift is further than this many standard errors from the median shift is left
out of the run-wide shift: it moved by itself."""


@dataclass(frozen=True, kw_only=True)
class Method:
    """How the decision is made; the default is the gate's, the others are measured beside it."""

    common_mode: bool = True
    """Judge endpoints relative to the run's other endpoints."""
    weighted_common_mode: bool = False
    """Take out only the part of the run-wide shift the history shows to be runner noise (see
    ``common_mode_weight``); False: all of it."""
    holm: bool = True
    """Holm's step-down over the run's tests; False: Bonferroni."""
    satterthwaite: bool = True
    """Degrees of freedom for the runner's noise; False: the normal distribution."""
    floor: Mapping[str, Tolerance] | None = None
    """Minimum effects to use instead of thresholds.json's (by level)."""
    pooled: bool = True
    """The endpoints' runner noise from one estimate pooled across them (``PooledNoise``); False:
    each endpoint's from its own history alone (before issue 22)."""


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


# --- one test: a metric of a row against its band ------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Test:
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
    ) -> _Test:
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
        return _Test(
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
) -> _Test:
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


# --- the decision ---------------------------------------------------------------------------


class HistoryDecision:
    """A RegressionDecision: latency and throughput against the history's band, the failure ratio
    by its fixed tolerance against the latest run. All the run's tests are decided at once, when
    it is built (Holm's procedure and the run-wide shift need every row); calls return each row's."""

    def __init__(
        self,
        history: History,
        rule: HistoryRule,
        *,
        current: Results,
        baseline: Results,
        rules: RegressionRules,
        method: Method = Method(),
    ) -> None:
        self.rule = rule
        self.method = method
        self.runs = len(history)
        self.past: list[dict[str, EndpointStats]] = [
            {name: row for name, row in run.rows.items() if row.requests >= rules.min_requests}
            for run in history.runs
        ]
        self.fallback_rows: list[str] = []
        self.untested: dict[str, int] = {}
        """Metric: rows where it had too few requests beyond it to be judged."""
        self.bands: dict[str, dict[str, Band]] = {}
        """Row, then metric: the band it was judged against (a JudgedBand, for the charts:
        loadtest.gate.series), at the level that fired, else at the lowest configured level."""
        self._findings: dict[str, list[Finding]] = {}
        self.run_shift = 1.0
        """How much this run's endpoints moved together against their history (a factor)."""
        self.pooled: dict[str, PooledNoise] = {}
        """Metric: the endpoints' runner noise pooled across them (Method.pooled)."""
        self.ratios: dict[tuple[str, str], float] = {}
        """(Endpoint, metric): its own history's run-to-run over sampling variance (Series.ratio)."""
        tests = self._tests(current, baseline, rules)
        self.tests = len(tests)
        """How many metrics shared the run's false-alarm rate."""
        self._decide(tests, rules)

    def __call__(
        self, current: EndpointStats, baseline: EndpointStats, rules: RegressionRules
    ) -> list[Finding]:
        if current.name in self.fallback_rows:
            return tolerance_decision(current, baseline, rules)
        failures = RegressionRules(min_requests=rules.min_requests, failure_ratio=rules.failure_ratio)
        return self._findings.get(current.name, []) + tolerance_decision(current, baseline, failures)

    # --- building the tests

    def _judged_rows(
        self, current: Results, baseline: Results, rules: RegressionRules
    ) -> list[EndpointStats]:
        """The rows compare_with_baseline hands to the decision: in both runs, enough requests on
        both; those with too little history go to the fixed tolerances."""
        pairs = [(current.aggregate, baseline.aggregate)]
        pairs += [
            (row, baseline.endpoints[n]) for n, row in current.endpoints.items() if n in baseline.endpoints
        ]
        judged = []
        for now, then in pairs:
            if rules.latency is None or min(now.requests, then.requests) < rules.min_requests:
                continue
            if sum(now.name in run for run in self.past) < self.rule.min_runs:
                self.fallback_rows.append(now.name)
            else:
                judged.append(now)
        return judged

    def _tests(self, current: Results, baseline: Results, rules: RegressionRules) -> list[_Test]:
        rows = self._judged_rows(current, baseline, rules)
        metrics = self.rule.metrics
        now = {row.name: summarize(row, metrics) for row in rows}
        past = [{name: summarize(run[name], metrics) for name in now if name in run} for run in self.past]
        common = CommonMode(now, past) if self.method.common_mode else None
        if common is not None:
            self.run_shift = math.exp(common.shift(now, leave_out=AGGREGATE)[0])
        series: list[Series] = []
        for row in rows:
            for metric in metrics:
                if not judgeable(row, metric):
                    self.untested[metric] = self.untested.get(metric, 0) + 1
                elif (found := self._series(row.name, metric, now, past, common)) is not None:
                    series.append(found)
        self.pooled = self._pooled(series)
        tests = [
            s.test(
                center_runs=self.rule.center_runs,
                satterthwaite=self.method.satterthwaite,
                pooled=self.pooled.get(s.metric) if s.row != AGGREGATE else None,
            )
            for s in series
        ]
        aggregate = next((row for row in rows if row.name == AGGREGATE), None)
        if rules.throughput and aggregate is not None and aggregate.rps:
            tests.append(self._throughput_test(aggregate))
        return tests

    def _pooled(self, series: Sequence[Series]) -> dict[str, PooledNoise]:
        """Per metric, the endpoints' runner noise pooled (Method.pooled); the aggregate, alone in
        its kind (the run-wide test, the common mode left in), keeps its own."""
        self.ratios = {(s.row, s.metric): s.ratio for s in series if s.row != AGGREGATE}
        if not self.method.pooled:
            return {}
        pooled = {}
        for metric in {s.metric for s in series}:
            found = pool_runner_noise([s for s in series if s.metric == metric and s.row != AGGREGATE])
            if found is not None:
                pooled[metric] = found
        return pooled

    def _series(
        self,
        row: str,
        metric: str,
        now: Mapping[str, RowSummary],
        past: list[dict[str, RowSummary]],
        common: CommonMode | None,
    ) -> Series | None:
        runs = [run for run in past if row in run and metric in run[row].logs]
        if metric not in now[row].logs or not runs:
            return None
        history = [(run[row].logs[metric], run[row].variances[metric]) for run in runs]
        current = (now[row].logs[metric], now[row].variances[metric])
        offsets, offset = [0.0] * len(runs), 0.0
        if common is not None and row != AGGREGATE:
            shifts = [common.shift(run, leave_out=row) for run in runs]
            offset, extra = common.shift(now, leave_out=row)
            weight = common_mode_weight(shifts, extra) if self.method.weighted_common_mode else 1.0
            offsets = [weight * shift for shift, _ in shifts]
            history = [(value, v + weight**2 * e) for (value, v), (_, e) in zip(history, shifts, strict=True)]
            offset *= weight
            current = (current[0], current[1] + weight**2 * extra)
        return Series(
            row=row,
            metric=metric,
            history=history,
            current=current,
            offsets=offsets,
            offset=offset,
            sampling_df=sampling_df(now[row].requests, metric),
        )

    def _throughput_test(self, aggregate: EndpointStats) -> _Test:
        """Requests/s of the run as a whole (with fixed users and waits one slow endpoint lowers
        every endpoint's requests/s, and an endpoint's share of random task picks is noisy)."""
        past = [run[AGGREGATE] for run in self.past if AGGREGATE in run and run[AGGREGATE].rps]
        return band_test(
            AGGREGATE,
            "rps",
            [(math.log(row.rps), 1 / row.requests) for row in past],
            (math.log(aggregate.rps), 1 / aggregate.requests),
            center_runs=self.rule.center_runs,
            satterthwaite=self.method.satterthwaite,
            lower_is_worse=True,
        )

    # --- deciding

    def _decide(self, tests: list[_Test], rules: RegressionRules) -> None:
        """Holm's procedure (or Bonferroni) at the fail rate, then at the warn rate for the rest."""
        p_values = [test.p_value for test in tests]
        decided: dict[int, Level] = {}
        alphas: dict[Level, list[float]] = {}
        for level in ("fail", "warn"):
            if level not in self.rule.levels:
                continue
            rate = self.rule.levels[level][0]
            if self.method.holm:
                alphas[level] = stats.holm_levels(p_values, rate)
            else:
                alphas[level] = [rate / max(1, len(tests))] * len(tests)
            for index, test in enumerate(tests):
                if (
                    index not in decided
                    and p_values[index] <= alphas[level][index]
                    and self._big_enough(test, level, rules)
                ):
                    decided[index] = level
        if not alphas:
            return
        lowest = next(reversed(alphas))
        # Only the aggregate moved: every endpoint went the same way, as a slower runner or
        # network moves them, and no endpoint stood out from the others.
        alone = not any(tests[i].row != AGGREGATE for i in decided)
        for index, test in enumerate(tests):
            level = decided.get(index, lowest)
            band = self._band(test, level, alphas[level][index], rules)
            self.bands.setdefault(test.row, {})[test.metric] = band
            if index in decided:
                finding = self._finding(level, band, rules, runner_wide=alone and test.row == AGGREGATE)
                self._findings.setdefault(test.row, []).append(finding)

    def _band(self, test: _Test, level: Level, alpha: float, rules: RegressionRules) -> Band:
        """The band of ``test`` at ``level``: the statistical edge, moved out to the minimum effect."""
        band = test.band(alpha)
        center = band.center
        if test.metric == "rps":
            tolerance = getattr(rules.throughput, level, None)
            if tolerance is None:
                return replace(band, level=level)
            low = min(band.low, center * (1 - tolerance.relative), center - tolerance.absolute)
            return replace(band, low=max(low, 0.0), level=level)
        effect = self._effect(level, test.row)
        high = max(band.high, center * (1 + effect.relative), center + effect.absolute)
        return replace(band, high=high, level=level)

    def _effect(self, level: Level, row: str) -> Tolerance:
        effect = self.method.floor[level] if self.method.floor is not None else self.rule.levels[level][1]
        if row == AGGREGATE and level in self.rule.run_wide:
            return replace(effect, relative=max(effect.relative, self.rule.run_wide[level]))
        return effect

    def _big_enough(self, test: _Test, level: Level, rules: RegressionRules) -> bool:
        """The practical minimum: worse than the band's centre by the relative AND absolute amount."""
        center, current = math.exp(test.expected_log), math.exp(test.current_log)
        if test.metric == "rps":
            tolerance = getattr(rules.throughput, level, None)
            return tolerance is not None and tolerance.is_exceeded(
                (center - current) / center, center - current
            )
        return self._effect(level, test.row).is_exceeded((current - center) / center, current - center)

    def _finding(self, level: Level, band: Band, rules: RegressionRules, *, runner_wide: bool) -> Finding:
        rate = self.rule.levels[level][0]
        if band.metric == "rps":
            assert rules.throughput is not None  # a throughput test exists only with its rule
            return throughput_out_of_band(
                level,
                band.row,
                current=band.current,
                center=band.center,
                runs=len(band.values),
                edges=(band.low, band.high),
                false_alarm_rate=rate,
                tolerance=getattr(rules.throughput, level),
                reason=rules.throughput.reason,
            )
        return latency_out_of_band(
            level,
            band.row,
            band.metric,
            current=band.current,
            center=band.center,
            runs=len(band.values),
            edges=(band.low, band.high),
            false_alarm_rate=rate,
            effect=self._effect(level, band.row),
            reason=self.rule.reason or (rules.latency.reason if rules.latency else ""),
            run_shift=band.run_shift,
            every_endpoint=self.run_shift if runner_wide and band.metric != "rps" else None,
        )


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
