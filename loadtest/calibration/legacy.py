"""The history gate as it was before issue 16 (commit d1c7663), frozen, for the side-by-side.

Each metric of each row (p50, p95, p99) against its own history's band, without common-mode
rejection; a percentile's sampling noise from the order-statistic interval; Bonferroni over the
run's tests; a fixed minimum effect. Its parameters are frozen here with it (thresholds.json's
``regression.history`` of that commit), so retuning the gate never changes what it is compared to.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from loadtest.bundle import AGGREGATE, PERCENTILES, EndpointStats, Results
from loadtest.gate import stats
from loadtest.gate.findings import Finding
from loadtest.gate.history import History
from loadtest.gate.history_band import run_to_run_variance
from loadtest.gate.regression import tolerance_decision
from loadtest.gate.regression_findings import latency_out_of_band, throughput_out_of_band
from loadtest.gate.tails import judgeable
from loadtest.gate.thresholds import HistoryRule, RegressionRule, RegressionRules, Tolerance

_MEDIAN_VARIANCE = math.pi / 2
RULES = {
    "external": HistoryRule(
        levels={"warn": (0.05, Tolerance(0.05, 10)), "fail": (0.03, Tolerance(0.10, 25))},
        metrics=("p50", "p95", "p99"),
    ),
    "sandbox": HistoryRule(
        levels={"warn": (0.05, Tolerance(0.05, 2)), "fail": (0.03, Tolerance(0.10, 5))},
        metrics=("p50", "p95", "p99"),
    ),
}
"""thresholds.json's regression.history at d1c7663, by target (min_runs 3, center_runs 10)."""


@dataclass(frozen=True, kw_only=True)
class Band:
    metric: str
    runs: int
    center: float
    sd_log: float
    current: float

    def z(self) -> float:
        if self.current <= 0 or self.center <= 0:
            return 0.0 if self.current <= self.center else math.inf
        shift = math.log(self.current / self.center)
        return shift / self.sd_log if self.sd_log > 0 else math.copysign(math.inf, shift) if shift else 0.0

    def edges(self, z: float, effect: Tolerance) -> tuple[float, float]:
        spread = math.exp(z * self.sd_log)
        high = max(self.center * spread, self.center * (1 + effect.relative), self.center + effect.absolute)
        return self.center / spread, high


def sampling_variance(row: EndpointStats, metric: str) -> float:
    """The order-statistic interval for a percentile, 1 / requests for requests/s."""
    value = row.value(metric)
    if not value or not row.histogram:
        return 0.0
    if metric == "rps":
        return 1 / row.requests if row.requests else 0.0
    if metric in PERCENTILES:
        return stats.order_statistic_variance(row.histogram, PERCENTILES[metric])
    return 0.0


def band_for(
    row: EndpointStats, metric: str, history: Sequence[EndpointStats], *, center_runs: int
) -> Band | None:
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


def z_for(false_alarm_rate: float, tests: int) -> float:
    return NormalDist().inv_cdf(1 - false_alarm_rate / max(1, tests))


def count_tests(current: Results, baseline: Results, rules: RegressionRules, metrics: Sequence[str]) -> int:
    rows = [
        current.aggregate,
        *(row for name, row in current.endpoints.items() if name in baseline.endpoints),
    ]
    tests = 0
    for row in rows:
        if row.requests >= rules.min_requests:
            throughput = rules.throughput is not None and row.name == AGGREGATE
            tests += sum(judgeable(row, metric) for metric in metrics) + throughput
    return max(tests, 1)


class LegacyDecision:
    """The RegressionDecision of d1c7663: each row and metric against its band, Bonferroni."""

    def __init__(self, history: History, rule: HistoryRule, *, tests: int) -> None:
        self.rule = rule
        self.tests = tests
        self.runs = len(history)
        self.by_row: dict[str, list[EndpointStats]] = {}
        for run in history.runs:
            for name, row in run.rows.items():
                self.by_row.setdefault(name, []).append(row)

    def __call__(
        self, current: EndpointStats, baseline: EndpointStats, rules: RegressionRules
    ) -> list[Finding]:
        past = [row for row in self.by_row.get(current.name, []) if row.requests >= rules.min_requests]
        if len(past) < self.rule.min_runs or rules.latency is None:
            return tolerance_decision(current, baseline, rules)
        findings = []
        for metric in self.rule.metrics:
            if not judgeable(current, metric):
                continue
            band = band_for(current, metric, past, center_runs=self.rule.center_runs)
            if band is not None:
                findings += self._judge(current.name, band, self.rule.reason or rules.latency.reason)
        throughput = (
            rules.throughput
            and current.name == AGGREGATE
            and band_for(current, "rps", past, center_runs=self.rule.center_runs)
        )
        if throughput:
            findings += self._judge_throughput(current.name, throughput, rules.throughput)
        failures = RegressionRules(min_requests=rules.min_requests, failure_ratio=rules.failure_ratio)
        return findings + tolerance_decision(current, baseline, failures)

    def _level(self, band: Band) -> str | None:
        for level in ("fail", "warn"):
            rate, effect = self.rule.levels[level]
            z = z_for(rate, self.tests)
            if band.current > band.edges(z, effect)[1] and band.z() > z:
                return level
        return None

    def _judge(self, scope: str, band: Band, reason: str) -> list[Finding]:
        level = self._level(band)
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

    def _judge_throughput(self, scope: str, band: Band, rule: RegressionRule) -> list[Finding]:
        for level in ("fail", "warn"):
            tolerance = getattr(rule, level)
            if tolerance is None or level not in self.rule.levels:
                continue
            z = z_for(self.rule.levels[level][0], self.tests)
            drop = band.center - band.current
            if -band.z() > z and tolerance.is_exceeded(drop / band.center, drop):
                return [
                    throughput_out_of_band(
                        level,
                        scope,
                        current=band.current,
                        center=band.center,
                        runs=band.runs,
                        edges=(
                            band.center / math.exp(z * band.sd_log),
                            band.center * math.exp(z * band.sd_log),
                        ),
                        false_alarm_rate=self.rule.levels[level][0],
                        tolerance=tolerance,
                        reason=rule.reason,
                    )
                ]
        return []
