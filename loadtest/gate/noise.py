"""The history gate: each endpoint against the band its history predicts for this run.

The band and each metric's test are loadtest.gate.history_band's statistics; this module decides:

* **what is judged**: the typical response time of every row with enough history (percentiles too
  when ``regression.history.metrics`` names them; by default they are only reported: measured,
  p95 and p99 cost detections and added false alarms); each endpoint relative to the run's other
  endpoints (the common mode taken out), the aggregate against its own history: the run-wide
  test, which catches a slowdown of every endpoint, with its own minimum effect
  (``run_wide_relative``); requests/s for the run as a whole, downwards;
* **multiple testing**: any flag on any row is a false alarm for an unchanged commit, so the
  per-run rate of thresholds.json is shared by every metric of the run with Holm's step-down
  procedure (the same family-wise rate as Bonferroni, more power when one thing clearly moved);
* **minimum effect**: a flag also needs the metric slower than the band's centre by the level's
  relative AND absolute minimum, so a certain but tiny change (2 ms becoming 3 ms) never fires.
  Relative, it scales with the endpoint's own latency; the band scales with its spread.

The failure ratio keeps its fixed tolerance against the latest run. Rows with fewer than
``min_runs`` runs of history use the fixed tolerances throughout (``fallback_rows``). The words
of a finding are loadtest.gate.findings' (``out_of_band``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from loadtest.bundle import AGGREGATE, EndpointStats, Results
from loadtest.gate import stats
from loadtest.gate.findings import Finding, Level
from loadtest.gate.history import History
from loadtest.gate.history_band import (
    Band,
    BandTest,
    CommonMode,
    PooledNoise,
    RowSummary,
    Series,
    band_test,
    common_mode_weight,
    pool_runner_noise,
    sampling_df,
    summarize,
)
from loadtest.gate.regression import tolerance_decision
from loadtest.gate.regression_findings import out_of_band
from loadtest.gate.tails import judgeable
from loadtest.gate.thresholds import HistoryRule, RegressionRules, Tolerance


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
    each endpoint's from its own history alone (measured beside it by the calibration)."""


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

    def _tests(self, current: Results, baseline: Results, rules: RegressionRules) -> list[BandTest]:
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

    def _throughput_test(self, aggregate: EndpointStats) -> BandTest:
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

    def _decide(self, tests: list[BandTest], rules: RegressionRules) -> None:
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
                finding = out_of_band(
                    level,
                    band,
                    rules,
                    rate=self.rule.levels[level][0],
                    effect=self._effect(level, band.row),
                    reason=self.rule.reason,
                    every_endpoint=self.run_shift if alone and test.row == AGGREGATE else None,
                )
                self._findings.setdefault(test.row, []).append(finding)

    def _band(self, test: BandTest, level: Level, alpha: float, rules: RegressionRules) -> Band:
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

    def _big_enough(self, test: BandTest, level: Level, rules: RegressionRules) -> bool:
        """The practical minimum: worse than the band's centre by the relative AND absolute amount."""
        center, current = math.exp(test.expected_log), math.exp(test.current_log)
        if test.metric == "rps":
            tolerance = getattr(rules.throughput, level, None)
            return tolerance is not None and tolerance.is_exceeded(
                (center - current) / center, center - current
            )
        return self._effect(level, test.row).is_exceeded((current - center) / center, current - center)
