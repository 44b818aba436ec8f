"""The noise-aware regression decision: a metric against the band its history predicts.

For one endpoint and one latency metric (say p95 of ``GET /api/dashboard/``), work on the log
scale, where a slowdown by a factor is a shift and run-to-run noise is roughly symmetric:

* **centre**: the median of the metric over the most recent ``center_runs`` runs of the history,
  so the band follows a slow drift of the default branch instead of the distant past;
* **run-to-run spread**: from the differences between consecutive runs (median absolute
  difference x 1.4826 / sqrt 2, a robust standard deviation a slow drift barely inflates), less
  the sampling noise those runs carried; what remains is the noise of the runner itself;
* **sampling noise of this run**: from this run's own histogram, the order-statistic confidence
  interval of the percentile (the ranks n p +- 1.96 sqrt(n p (1 - p))), plus Locust's bucket
  rounding; fewer requests give a wider band, so a short or failing run is judged more leniently;
* **prediction**: ``sd = sqrt(run-to-run + sampling of this run + uncertainty of the centre)``,
  and the run is slower than its history when ``log(current) - log(centre) > z sd``.

The false-alarm rate that matters is per run: any flag on any row is a false alarm for an
unchanged commit. So ``z`` is set by Bonferroni from the per-run rate in thresholds.json
(``false_alarm_rate``) divided by the number of tests in the run (rows x metrics). A flag also
needs a practical effect (``min_effect``: relative AND absolute), so that 2 ms becoming 3 ms
never fires however sure it is. Warn and fail each have their own rate and minimum effect.

Assumptions: runs in the history are exchangeable apart from a slow drift; the log of a
percentile is roughly normal between runs; the history's runs had about as many requests as
this one (their sampling noise is estimated from their own histograms, so this is checked, not
assumed, for the part that matters).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from loadtest.bundle import AGGREGATE, PERCENTILES, EndpointStats, Results, histogram_percentile
from loadtest.gate.findings import Finding, Level, latency_out_of_band, throughput_out_of_band
from loadtest.gate.history import History
from loadtest.gate.regression import tolerance_decision
from loadtest.gate.series import JudgedBand
from loadtest.gate.thresholds import HistoryRule, RegressionRule, RegressionRules, Tolerance

_MAD_TO_SD = 1.4826
"""A normal distribution's standard deviation is 1.4826 times its median absolute deviation."""
_MEDIAN_VARIANCE = math.pi / 2
"""The variance of a median of k normal values is about pi/2 times that of their mean."""
_RANK_Z = 1.96
MIN_TAIL = 10
"""Requests beyond a percentile needed to judge it (see ``judgeable``)."""


@dataclass(frozen=True, kw_only=True)
class Band:
    """What the history predicts for one metric of one row, in ms, and where this run falls."""

    metric: str
    runs: int
    center: float
    sd_log: float
    """Standard deviation of log(metric) expected for this run: run-to-run, sampling and centre."""
    current: float

    def z(self) -> float:
        """How many standard deviations this run is above the centre, on the log scale."""
        if self.current <= 0 or self.center <= 0:
            return 0.0 if self.current <= self.center else math.inf
        shift = math.log(self.current / self.center)
        return shift / self.sd_log if self.sd_log > 0 else math.copysign(math.inf, shift) if shift else 0.0

    def edges(self, z: float, effect: Tolerance) -> tuple[float, float]:
        """The band at ``z``: the low edge, and the high edge beyond which this level fires.

        The high edge is the larger of the statistical edge and the minimum practical effect.
        """
        spread = math.exp(z * self.sd_log)
        high = max(self.center * spread, self.center * (1 + effect.relative), self.center + effect.absolute)
        return self.center / spread, high


def band_for(
    row: EndpointStats, metric: str, history: Sequence[EndpointStats], *, center_runs: int
) -> Band | None:
    """The band for ``metric`` of ``row`` from the same row in earlier runs, oldest first; None if none."""
    current = row.value(metric)
    past = [(value, sampling_variance(then, metric)) for then in history if (value := then.value(metric))]
    if current is None or not past:
        return None
    logs = [math.log(value) for value, _ in past]
    recent = logs[-center_runs:]
    center = statistics.median(recent)
    sampling_then = statistics.fmean(variance for _, variance in past)
    between = max(0.0, run_to_run_variance(logs) - sampling_then)
    center_variance = _MEDIAN_VARIANCE * (between + sampling_then) / len(recent)
    variance = between + sampling_variance(row, metric) + center_variance
    return Band(
        metric=metric, runs=len(past), center=math.exp(center), sd_log=math.sqrt(variance), current=current
    )


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


def judgeable(row: EndpointStats, metric: str) -> bool:
    """A percentile is judged only when at least MIN_TAIL requests were slower than it: the p99 of
    300 requests is the third slowest, and its wild swings would need a band too wide to use."""
    if metric not in PERCENTILES:
        return True
    return row.requests * (1 - PERCENTILES[metric]) >= MIN_TAIL


def count_tests(current: Results, baseline: Results, rules: RegressionRules) -> int:
    """How many metrics the run is judged on at once: the per-run false-alarm rate is shared by them."""
    rows = [
        current.aggregate,
        *(row for name, row in current.endpoints.items() if name in baseline.endpoints),
    ]
    metrics = rules.latency.metrics if rules.latency else ()
    tests = 0
    for row in rows:
        if row.requests >= rules.min_requests:
            throughput = rules.throughput is not None and row.name == AGGREGATE
            tests += sum(judgeable(row, metric) for metric in metrics) + throughput
    return max(tests, 1)


def sampling_variance(row: EndpointStats, metric: str) -> float:
    """Variance of log(metric) from the run's own sample: order statistics for a percentile,
    the standard error for the average, plus the rounding of Locust's buckets."""
    value = row.value(metric)
    count = sum(row.histogram.values())
    if not value or count == 0:
        return 0.0
    if metric == "rps":
        return 1 / row.requests if row.requests else 0.0
    if metric in PERCENTILES:
        fraction = PERCENTILES[metric]
        half = _RANK_Z * math.sqrt(count * fraction * (1 - fraction))
        low = histogram_percentile(row.histogram, count, max(0.0, fraction - half / count))
        high = histogram_percentile(row.histogram, count, min(1.0, fraction + half / count))
        spread = (math.log(max(high, 1.0)) - math.log(max(low, 1.0))) / (2 * _RANK_Z)
    elif metric == "avg":
        mean = sum(bucket * n for bucket, n in row.histogram.items()) / count
        deviation = sum(n * (bucket - mean) ** 2 for bucket, n in row.histogram.items()) / count
        spread = math.sqrt(deviation / count) / value
    else:
        return 0.0
    return spread**2 + (bucket_width(value) / value) ** 2 / 12


def bucket_width(ms: float) -> float:
    """Locust rounds response times to whole ms below 100, to 10 ms up to 1,000, to 100 ms above."""
    return 1.0 if ms < 100 else 10.0 if ms < 1000 else 100.0


def z_for(false_alarm_rate: float, tests: int) -> float:
    """One-sided z for a per-run false-alarm rate spread over ``tests`` tests (Bonferroni)."""
    return NormalDist().inv_cdf(1 - false_alarm_rate / max(1, tests))


class HistoryDecision:
    """A RegressionDecision: latency against the history's band; throughput and failures by the
    fixed tolerances against the latest run. Rows with too little history use the fixed
    tolerances throughout, and are listed in ``fallback_rows``."""

    def __init__(self, history: History, rule: HistoryRule, *, tests: int) -> None:
        self.rule = rule
        self.tests = tests
        self.runs = len(history)
        self.by_row: dict[str, list[EndpointStats]] = {}
        for run in history.runs:
            for name, row in run.rows.items():
                self.by_row.setdefault(name, []).append(row)
        self.fallback_rows: list[str] = []
        self.untested: dict[str, int] = {}
        """Metric: rows where it had too few requests beyond it to be judged."""
        self.bands: dict[str, dict[str, JudgedBand]] = {}
        """Row, then metric: the band it was judged against, for the charts (loadtest.gate.series)."""

    def __call__(
        self, current: EndpointStats, baseline: EndpointStats, rules: RegressionRules
    ) -> list[Finding]:
        past = [row for row in self.by_row.get(current.name, []) if row.requests >= rules.min_requests]
        if len(past) < self.rule.min_runs or rules.latency is None:
            if rules.latency is not None:
                self.fallback_rows.append(current.name)
            return tolerance_decision(current, baseline, rules)
        findings = []
        for metric in rules.latency.metrics:
            if not judgeable(current, metric):
                self.untested[metric] = self.untested.get(metric, 0) + 1
                continue
            band = band_for(current, metric, past, center_runs=self.rule.center_runs)
            if band is not None:
                findings += self._judge(current.name, band, self.rule.reason or rules.latency.reason)
        # Throughput is judged for the run as a whole: see regression.tolerance_decision.
        throughput = (
            rules.throughput
            and current.name == AGGREGATE
            and band_for(current, "rps", past, center_runs=self.rule.center_runs)
        )
        if throughput:
            findings += self._judge_throughput(current.name, throughput, rules.throughput)
        failures = RegressionRules(min_requests=rules.min_requests, failure_ratio=rules.failure_ratio)
        return findings + tolerance_decision(current, baseline, failures)

    def level_of(self, band: Band) -> Level | None:
        for level in ("fail", "warn"):
            if self._fires(band, level):
                return level
        return None

    def _fires(self, band: Band, level: Level) -> bool:
        rate, effect = self.rule.levels[level]
        z = z_for(rate, self.tests)
        return band.current > band.edges(z, effect)[1] and band.z() > z

    def _judge(self, scope: str, band: Band, reason: str) -> list[Finding]:
        level = self.level_of(band)
        self._keep_band(scope, band, level)
        if level is None:
            return []
        rate, effect = self.rule.levels[level]
        return [
            latency_out_of_band(
                level,
                scope,
                band.metric,
                current=band.current,
                center=band.center,
                runs=band.runs,
                edges=band.edges(z_for(rate, self.tests), effect),
                false_alarm_rate=rate,
                effect=effect,
                reason=reason,
            )
        ]

    def _keep_band(self, scope: str, band: Band, level: Level | None) -> None:
        """Keep the band for the charts: the edges of the level that fired, else of the first that would."""
        shown = level or next((name for name in ("warn", "fail") if name in self.rule.levels), None)
        if shown is None:
            return
        rate, effect = self.rule.levels[shown]
        low, high = band.edges(z_for(rate, self.tests), effect)
        self.bands.setdefault(scope, {})[band.metric] = JudgedBand(
            center=band.center, low=low, high=high, runs=band.runs, level=shown
        )

    def _judge_throughput(self, scope: str, band: Band, rule: RegressionRule) -> list[Finding]:
        """A drop of requests/s below the band, by more than thresholds.json's throughput tolerance."""
        for level in ("fail", "warn"):
            tolerance = getattr(rule, level)
            if tolerance is None or level not in self.rule.levels:
                continue
            z = z_for(self.rule.levels[level][0], self.tests)
            drop = band.center - band.current
            low = min(band.center / math.exp(z * band.sd_log), band.center * (1 - tolerance.relative))
            low = min(low, band.center - tolerance.absolute)
            if -band.z() > z and tolerance.is_exceeded(drop / band.center, drop):
                high = band.center * math.exp(z * band.sd_log)
                return [
                    throughput_out_of_band(
                        level,
                        scope,
                        current=band.current,
                        center=band.center,
                        runs=band.runs,
                        edges=(max(low, 0.0), high),
                        false_alarm_rate=self.rule.levels[level][0],
                        tolerance=tolerance,
                        reason=rule.reason,
                    )
                ]
        return []


def bands_by_metric(
    decision: HistoryDecision, row: EndpointStats, metrics: Sequence[str]
) -> Mapping[str, Band]:
    """The bands of one row, for the calibration and for tests."""
    past = decision.by_row.get(row.name, [])
    bands = {metric: band_for(row, metric, past, center_runs=decision.rule.center_runs) for metric in metrics}
    return {metric: band for metric, band in bands.items() if band is not None}
