"""The paired verdict: a head against its base measured on the same runner, in the same run.

A run of a base against a head (loadtest.sides) holds side-tagged rows. Per endpoint:

* **latency**: the head's typical response time (stats.trimmed_log_mean, as the history gate)
  over the base's, on the log scale, with its interval from this run alone, not from a history:
  in the ``paired`` design every task went to both sides in a random order, so the two sides'
  requests come from the same moments and the difference of their trimmed means has the two
  histograms' sampling variances (Welch-Satterthwaite degrees of freedom); in the ``blocks``
  design, from the differences of paired blocks (ABBA), Student's t on their spread;
* **common mode**: two server processes are never quite equal (a per-side offset of about 1%),
  so each endpoint is judged relative to the run's other endpoints (noise.CommonMode: the
  precision-weighted mean of their log ratios, leaving out this one and any that moved by
  itself), and the aggregate of the endpoints on its own, with its own minimum effect, which
  catches a slowdown of every endpoint;
* **Holm** across the run's tests at the fail rate, then the warn rate, of ``regression.base``;
  a flag also needs the minimum effect, relative AND absolute, as the history gate;
* **failures** (loadtest.gate.paired_failures): the head's failure ratio above the base's by the
  tolerance and beyond chance (a one-sided binomial test on the failures of both sides, Holm across
  endpoints); an error status (5xx) only the head answered with is a finding at any volume.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from loadtest.bundle import AGGREGATE, EndpointStats, Results, split_side_row, sum_histograms
from loadtest.gate import stats
from loadtest.gate.findings import Finding, Level
from loadtest.gate.history_band import CommonMode, RowSummary, sampling_df
from loadtest.gate.paired_failures import SideCounts, failure_findings
from loadtest.gate.regression_findings import latency_against_base
from loadtest.gate.stats import TYPICAL
from loadtest.gate.thresholds import BaseRule

Sides = dict[str, dict[str, dict[int | None, EndpointStats]]]
"""Endpoint -> side -> block (None in the paired design) -> its row."""
MIN_BLOCK_REQUESTS = 5
"""A block pair is used for an endpoint only when both of its blocks have this many requests."""
SPREAD_MIN_ENDPOINTS = 5
"""The servers' spread is estimated from at least this many endpoints, else not at all."""
SPREAD_PRIOR_DF = 10.0
"""How much the sampling formula is trusted against the run's own spread, in squared z-scores: the
estimate from 13 endpoints (10 kept) is shrunk halfway to 1, so one run's chance spread neither
widens nor narrows the intervals much; a spread several times the formula's still shows."""


@dataclass(frozen=True, kw_only=True)
class Change:
    """One row's head against its base: as measured, and as judged (the run-wide shift taken out)."""

    row: str
    base_ms: float
    head_ms: float
    requests: tuple[int, int]
    """Requests of the base and of the head."""
    log_ratio: float
    """log(head / base) as judged: less the run-wide shift for an endpoint."""
    variance: float
    df: float
    run_shift: float = 0.0
    """The log shift the run's other endpoints showed, taken out of ``log_ratio``."""
    level: Level | None = None
    p_value: float = 1.0

    @property
    def ratio(self) -> float:
        return math.exp(self.log_ratio)

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """The ratio's two-sided interval (Student's t with the test's degrees of freedom)."""
        half = stats.t_quantile(0.5 + confidence / 2, self.df) * math.sqrt(self.variance)
        return math.exp(self.log_ratio - half), math.exp(self.log_ratio + half)

    def score(self) -> float:
        if self.variance <= 0:
            return math.copysign(math.inf, self.log_ratio) if self.log_ratio else 0.0
        return self.log_ratio / math.sqrt(self.variance)


@dataclass(frozen=True, kw_only=True)
class Method:
    """How the decision is made; the default is thresholds.json's, the others are measured beside it."""

    common_mode: bool | None = None
    """None: thresholds.json's ``regression.base.common_mode``."""
    server_spread: bool | None = None
    """None: thresholds.json's ``regression.base.server_spread``."""


@dataclass(kw_only=True)
class BaseComparison:
    """The paired verdict of one run: every row's change and the findings."""

    design: str
    changes: list[Change] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tests: int = 0


def sides_of(results: Results) -> Sides:
    """The run's side-tagged rows by endpoint, side and block; other rows (Locust's aggregate) are left."""
    found: Sides = {}
    for name, row in results.endpoints.items():
        split = split_side_row(name)
        if split is not None:
            endpoint, side, block = split
            found.setdefault(endpoint, {}).setdefault(side, {})[block] = row
    return found


def judge_against_base(
    results: Results, rule: BaseRule, *, min_requests: int = 0, method: Method = Method()
) -> BaseComparison:
    """The paired verdict on a run of a base against a head (its run.json says the design)."""
    design = (results.facts.design if results.facts else None) or "paired"
    sides = sides_of(results)
    common = rule.common_mode if method.common_mode is None else method.common_mode
    comparison = BaseComparison(design=design)
    estimates = _estimates(sides, design, min_requests, comparison.notes)
    changes = _judged(estimates, common=common)
    if rule.server_spread if method.server_spread is None else method.server_spread:
        changes = _widened(changes, comparison.notes)
    comparison.changes = _decide(changes, rule)
    comparison.tests = len(changes)
    for change in comparison.changes:
        if change.level is not None:
            comparison.findings.append(_latency_finding(change, rule))
    comparison.findings += failure_findings(side_counts(sides), results, rule)
    return comparison


# --- estimating -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Estimate:
    """One row's log ratio before the run-wide shift, per block pair (one item in the paired design)."""

    base_ms: float
    head_ms: float
    requests: tuple[int, int]
    pairs: tuple[tuple[float, float], ...]
    """(log ratio, sampling variance) per pair of blocks; one item in the paired design."""
    df: float


def _estimates(sides: Sides, design: str, min_requests: int, notes: list[str]) -> dict[str, _Estimate]:
    rows: dict[str, _Estimate] = {}
    too_few = []
    for endpoint, by_side in sides.items():
        estimate = _estimate(by_side, design)
        if estimate is None or min(estimate.requests) < max(min_requests, 2):
            too_few.append(endpoint)
        else:
            rows[endpoint] = estimate
    aggregate = {
        side: {block: _sum_rows(block_rows(sides, side, block)) for block in _blocks(sides, side)}
        for side in ("base", "head")
    }
    estimate = _estimate(aggregate, design)
    if estimate is not None and min(estimate.requests) >= 2:
        rows[AGGREGATE] = estimate
    if too_few:
        notes.append(f"Not compared with the base, too few requests on one side: {', '.join(too_few)}.")
    return rows


def _blocks(sides: Sides, side: str) -> set[int | None]:
    return {block for by_side in sides.values() for block in by_side.get(side, {})}


def block_rows(sides: Sides, side: str, block: int | None) -> list[EndpointStats]:
    return [by_side[side][block] for by_side in sides.values() if block in by_side.get(side, {})]


def _sum_rows(rows: Sequence[EndpointStats]) -> EndpointStats:
    return EndpointStats(
        name=AGGREGATE,
        requests=sum(row.requests for row in rows),
        failures=sum(row.failures for row in rows),
        rps=None,
        histogram=sum_histograms(row.histogram for row in rows),
    )


def _estimate(by_side: Mapping[str, Mapping[int | None, EndpointStats]], design: str) -> _Estimate | None:
    base, head = by_side.get("base", {}), by_side.get("head", {})
    if not base or not head:
        return None
    whole = {side: sum_histograms(row.histogram for row in rows.values()) for side, rows in by_side.items()}
    if not whole["base"] or not whole["head"]:
        return None
    requests = (sum(r.requests for r in base.values()), sum(r.requests for r in head.values()))
    if design == "blocks":
        pairs = tuple(_block_pairs(base, head))
        df = max(1.0, len(pairs) - 1.0)
    else:
        pairs = (_difference(base[None], head[None]),) if None in base and None in head else ()
        df = _welch_df(base.get(None), head.get(None))
    if not pairs:
        return None
    return _Estimate(
        base_ms=math.exp(stats.trimmed_log_mean(whole["base"])),
        head_ms=math.exp(stats.trimmed_log_mean(whole["head"])),
        requests=requests,
        pairs=pairs,
        df=df,
    )


def _difference(base: EndpointStats, head: EndpointStats) -> tuple[float, float]:
    """(log(head / base) of the typical times, its sampling variance) from the two histograms."""
    difference = stats.trimmed_log_mean(head.histogram) - stats.trimmed_log_mean(base.histogram)
    return difference, stats.trimmed_mean_variance(head.histogram) + stats.trimmed_mean_variance(
        base.histogram
    )


def _block_pairs(
    base: Mapping[int | None, EndpointStats], head: Mapping[int | None, EndpointStats]
) -> list[tuple[float, float]]:
    """Blocks 0 and 1, 2 and 3, ...: one of each side (ABBA), with enough requests in both."""
    pairs = []
    blocks = sorted(block for block in {*base, *head} if block is not None)
    for first in range(0, (blocks[-1] if blocks else -1) + 1, 2):
        pair = [base.get(first) or base.get(first + 1), head.get(first) or head.get(first + 1)]
        if all(row is not None and row.requests >= MIN_BLOCK_REQUESTS for row in pair):
            pairs.append(_difference(pair[0], pair[1]))
    return pairs


def _welch_df(base: EndpointStats | None, head: EndpointStats | None) -> float:
    if base is None or head is None:
        return math.inf
    parts = [
        (stats.trimmed_mean_variance(row.histogram), sampling_df(row.requests, TYPICAL))
        for row in (base, head)
    ]
    total = sum(v for v, _ in parts)
    denominator = sum(v * v / df for v, df in parts)
    return total * total / denominator if denominator > 0 else math.inf


# --- judging --------------------------------------------------------------------------------


def _judged(estimates: Mapping[str, _Estimate], *, common: bool) -> list[Change]:
    """Each row's change, the run-wide shift taken out of an endpoint's (per block pair)."""
    changes = []
    for row, estimate in estimates.items():
        pairs = list(estimate.pairs)
        shift_total = 0.0
        if common and row != AGGREGATE:
            adjusted = []
            for index, (value, variance) in enumerate(pairs):
                shift, shift_variance = _run_wide_shift(estimates, index, leave_out=row)
                adjusted.append((value - shift, variance + shift_variance))
                shift_total += shift / len(pairs)
            pairs = adjusted
        log_ratio, variance = _combined(pairs)
        changes.append(
            Change(
                row=row,
                base_ms=estimate.base_ms,
                head_ms=estimate.head_ms,
                requests=estimate.requests,
                log_ratio=log_ratio,
                variance=variance,
                df=estimate.df,
                run_shift=shift_total,
            )
        )
    return changes


def _combined(pairs: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """The mean log ratio and its variance: the sampling variance for one pair (the paired design),
    the spread of the block pairs' differences otherwise (never below their sampling variance)."""
    if len(pairs) == 1:
        return pairs[0]
    mean = math.fsum(value for value, _ in pairs) / len(pairs)
    spread = math.fsum((value - mean) ** 2 for value, _ in pairs) / (len(pairs) - 1)
    sampling = math.fsum(variance for _, variance in pairs) / len(pairs)
    return mean, max(spread, sampling) / len(pairs)


def _run_wide_shift(estimates: Mapping[str, _Estimate], pair: int, *, leave_out: str) -> tuple[float, float]:
    """How far the other endpoints' heads moved from their bases in block pair ``pair`` (noise.CommonMode,
    with the base as a history whose centre is 0 on the log scale)."""
    now = {
        name: RowSummary(sum(e.requests), {TYPICAL: e.pairs[pair][0]}, {TYPICAL: e.pairs[pair][1]})
        for name, e in estimates.items()
        if name != AGGREGATE and pair < len(e.pairs)
    }
    centre = [{name: RowSummary(0, {TYPICAL: 0.0}, {TYPICAL: 0.0}) for name in now}]
    return CommonMode(now, centre).shift(now, leave_out=leave_out)


def _widened(changes: list[Change], notes: list[str]) -> list[Change]:
    """Every interval widened by how much more the endpoints' ratios spread than their sampling noise
    says (stats.trimmed_dispersion, shrunk toward 1 by SPREAD_PRIOR_DF), never narrowed.

    The histograms' variance counts only which requests were drawn. Two servers of the same code on
    two databases can differ by more, per endpoint (a query plan, a cache, a queue that builds on one
    side when the machine is saturated): on the example API on PostgreSQL an A/A run's endpoints
    spread about 4 times their sampling variance. Across one run's endpoints that shows; the
    largest quarter are left out, so an endpoint that really changed does not widen the others."""
    endpoints = [c for c in changes if c.row != AGGREGATE and c.variance > 0]
    if len(endpoints) < SPREAD_MIN_ENDPOINTS:
        return changes
    # Around the endpoints' median shift, not around 0: a head slower on every endpoint alike (a
    # middleware, a slower server) is a change to find (the aggregate's test), not a spread to allow.
    centre = statistics.median(c.log_ratio for c in endpoints)
    measured, kept = stats.trimmed_dispersion(
        [(c.log_ratio - centre) / math.sqrt(c.variance) for c in endpoints]
    )
    factor = (SPREAD_PRIOR_DF + kept * measured) / (SPREAD_PRIOR_DF + kept)
    if factor <= 1:
        return changes
    notes.append(
        f"The endpoints' ratios to the base spread {measured:.1f} times as far as their requests' sampling "
        f"noise says (the two servers differ by more than the requests show), so every interval is "
        f"{math.sqrt(factor):.2f} times as wide."
    )
    df = SPREAD_PRIOR_DF + kept
    return [replace(c, variance=c.variance * factor, df=min(c.df, df)) for c in changes]


def _decide(changes: list[Change], rule: BaseRule) -> list[Change]:
    """Holm's step-down at the fail rate, then the warn rate; a flag also needs the minimum effect."""
    p_values = [
        stats.t_upper_p(c.score(), c.df) if math.isfinite(c.score()) else float(c.score() < 0)
        for c in changes
    ]
    decided: dict[int, Level] = {}
    for level in ("fail", "warn"):
        if level not in rule.latency.levels:
            continue
        rate = rule.latency.levels[level][0]
        for index, alpha in enumerate(stats.holm_levels(p_values, rate)):
            if index not in decided and p_values[index] <= alpha and _big_enough(changes[index], level, rule):
                decided[index] = level
    return [
        Change(**{**vars(change), "level": decided.get(index), "p_value": p_values[index]})
        for index, change in enumerate(changes)
    ]


def minimum_effect(rule: BaseRule, level: Level, row: str):  # noqa: ANN201 - a Tolerance
    """The level's minimum effect; the aggregate's relative part is at least ``run_wide_relative``."""
    _, effect = rule.latency.levels[level]
    if row == AGGREGATE and level in rule.latency.run_wide:
        return type(effect)(
            relative=max(effect.relative, rule.latency.run_wide[level]), absolute=effect.absolute
        )
    return effect


def _big_enough(change: Change, level: Level, rule: BaseRule) -> bool:
    """Slower than the base (times the run-wide shift) by the relative AND the absolute amount."""
    expected = change.head_ms / change.ratio
    return minimum_effect(rule, level, change.row).is_exceeded(change.ratio - 1, change.head_ms - expected)


def _latency_finding(change: Change, rule: BaseRule) -> Finding:
    assert change.level is not None
    return latency_against_base(
        change.level,
        change.row,
        head_ms=change.head_ms,
        base_ms=change.base_ms,
        ratio=change.ratio,
        interval=change.interval(),
        false_alarm_rate=rule.latency.levels[change.level][0],
        effect=minimum_effect(rule, change.level, change.row),
        reason=rule.reason,
    )


def side_counts(sides: Sides) -> dict[str, SideCounts]:
    """Each endpoint's requests and failures on each side, its blocks summed."""
    return {
        endpoint: SideCounts(*_side_total(by_side, "base"), *_side_total(by_side, "head"))
        for endpoint, by_side in sides.items()
    }


def _side_total(by_side: Mapping[str, Mapping[int | None, EndpointStats]], side: str) -> tuple[int, int]:
    rows = by_side.get(side, {}).values()
    return sum(row.requests for row in rows), sum(row.failures for row in rows)
