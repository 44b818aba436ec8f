"""The methods a calibration judges every trial by, side by side.

* **this gate**: ``run_gate`` on the rolling baseline, exactly as CI runs it;
* **the gate before issue 16** (legacy.LegacyDecision, its parameters frozen with it);
* **fixed tolerances vs the previous run**: thresholds.json's latency tolerances, the gate's
  fallback when the history is too short;
* **a t-test over the history's per-run values** (Bencher's approach): per row and metric, the
  history's values of that metric, and this run fails when it is above mean + t(q, n - 1) x sd;
  at q = 99% per metric (Bencher's example boundary), and with the run's tests sharing 2%;
* **the ratio to the previous run** (github-action-benchmark): a metric fails when it is more
  than a ratio of the previous run's: 200% (its default) and tuned values.

Every peer sees the same rows (at least ``min_requests`` requests in both runs) and metrics (p50,
p95, p99 where at least 10 requests are slower than the percentile) as the gate.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from loadtest.bundle import BASELINE_HISTORY, EndpointStats, Results
from loadtest.calibration import legacy
from loadtest.gate import stats
from loadtest.gate.findings import Finding
from loadtest.gate.history import History, read_history
from loadtest.gate.noise import HistoryDecision, Method
from loadtest.gate.regression import compare_with_baseline
from loadtest.gate.report import run_gate
from loadtest.gate.tails import judgeable
from loadtest.gate.thresholds import Rules, Tolerance

Flag = tuple[str, str, str]
"""(row, metric, level) of one flagged regression."""

PEER_METRICS = ("p50", "p95", "p99")
THIS_GATE = "this gate"
LEGACY = "the gate before issue 16"
FIXED = "fixed tolerances vs previous run"
NAIVE_RATIOS = (2.0, 1.3, 1.2)
"""github-action-benchmark's default alert threshold (200%) and two tuned ones."""
T_TEST_PER_METRIC = 0.99
"""Bencher's t-test with the upper boundary its documentation shows (0.99), on every metric alone."""
SHARED_RATE = 0.02
"""The t-test tuned: the run's tests share a 2% false-alarm rate (Bonferroni), as the gate's do."""


@dataclass(frozen=True)
class Trial:
    """One judgement: this run, the previous unchanged run, and the rolling baseline before it."""

    current: Results
    previous: Results
    baseline: Path
    history: History
    """The baseline's compatible runs, oldest first."""
    rules: Rules
    thresholds: Path


Judge = Callable[[Trial], list[Flag]]


def regression_flags(findings: Sequence[Finding]) -> list[Flag]:
    """Every regression: latency, and throughput or failures, which can fire in A/A too."""
    return [(f.scope, f.metric or "", f.level) for f in findings if f.kind == "regression"]


def this_gate(trial: Trial) -> list[Flag]:
    report = run_gate(trial.current.source, baseline=trial.baseline, thresholds_path=trial.thresholds)
    if report.history_runs != len(trial.history):
        raise RuntimeError(f"{trial.baseline}: the gate used {report.history_runs} runs of history")
    return regression_flags(report.findings)


def gate_variant(method: Method, **rule_changes: object) -> Judge:
    """This gate with one part changed, to measure what each part is worth (``--variants``)."""

    def judge(trial: Trial) -> list[Flag]:
        regression = trial.rules.regression
        assert regression.history is not None  # judge() checks that thresholds.json has one
        rule = replace(regression.history, **rule_changes)
        decision = HistoryDecision(
            trial.history,
            rule,
            current=trial.current,
            baseline=trial.previous,
            rules=regression,
            method=method,
        )
        return _compared(trial, decision)

    return judge


def rate_variant(method: Method, fail_rate: float) -> Judge:
    """This gate (or a variant) failing at another per-run false-alarm rate."""

    def judge(trial: Trial) -> list[Flag]:
        regression = trial.rules.regression
        assert regression.history is not None  # judge() checks that thresholds.json has one
        levels = dict(regression.history.levels)
        levels["fail"] = (fail_rate, levels["fail"][1])
        return gate_variant(method, levels=levels)(trial)

    return judge


def legacy_gate(judge_as: str) -> Judge:
    def judge(trial: Trial) -> list[Flag]:
        rule = legacy.RULES[judge_as]
        tests = legacy.count_tests(trial.current, trial.previous, trial.rules.regression, rule.metrics)
        return _compared(trial, legacy.LegacyDecision(trial.history, rule, tests=tests))

    return judge


def fixed_tolerances(trial: Trial) -> list[Flag]:
    return _compared(trial, None)


def _compared(trial: Trial, decision: object) -> list[Flag]:
    preset = trial.current.facts.preset if trial.current.facts else None
    comparison = compare_with_baseline(
        trial.current, trial.previous, trial.rules.regression, preset=preset, decide=decision
    )
    return regression_flags(comparison.findings)


def peer_rows(
    current: Results, other: Results, min_requests: int
) -> list[tuple[EndpointStats, EndpointStats]]:
    """The rows a peer judges: in both runs, with enough requests in both."""
    pairs = [(current.aggregate, other.aggregate)]
    pairs += [(row, other.endpoints[n]) for n, row in current.endpoints.items() if n in other.endpoints]
    return [(now, then) for now, then in pairs if min(now.requests, then.requests) >= min_requests]


def naive_flags(current: Results, previous: Results, ratio: float, min_requests: int) -> list[Flag]:
    """github-action-benchmark's rule: a metric fails when current / previous exceeds ``ratio``."""
    flags = []
    for now, then in peer_rows(current, previous, min_requests):
        for metric in PEER_METRICS:
            value, before = now.value(metric), then.value(metric)
            if judgeable(now, metric) and value is not None and before and value / before > ratio:
                flags.append((now.name, metric, "fail"))
    return flags


def ratio_rule(ratio: float) -> Judge:
    def judge(trial: Trial) -> list[Flag]:
        return naive_flags(trial.current, trial.previous, ratio, trial.rules.regression.min_requests)

    return judge


def t_test_flags(
    current: Results, history: History, min_requests: int, *, per_run: float | None
) -> list[Flag]:
    """Bencher's t-test: per row and metric, this run against mean + t(q, n - 1) sd of the
    history's per-run values; q is T_TEST_PER_METRIC, or 1 - per_run / tests when shared."""
    samples: list[tuple[str, str, float, list[float]]] = []
    rows = [current.aggregate, *current.endpoints.values()]
    for now in (row for row in rows if row.requests >= min_requests):
        for metric in PEER_METRICS:
            past = [
                value
                for run in history.runs
                if (row := run.rows.get(now.name))
                and row.requests >= min_requests
                and (value := row.value(metric))
            ]
            value = now.value(metric)
            if judgeable(now, metric) and value is not None and len(past) >= 2:
                samples.append((now.name, metric, value, past))
    q = T_TEST_PER_METRIC if per_run is None else 1 - per_run / max(1, len(samples))
    flags = []
    for name, metric, value, past in samples:
        limit = statistics.fmean(past) + stats.t_quantile(q, len(past) - 1) * statistics.stdev(past)
        if value > limit:
            flags.append((name, metric, "fail"))
    return flags


def t_test(per_run: float | None) -> Judge:
    def judge(trial: Trial) -> list[Flag]:
        return t_test_flags(
            trial.current, trial.history, trial.rules.regression.min_requests, per_run=per_run
        )

    return judge


def ratio_name(ratio: float) -> str:
    return f"ratio {ratio:.0%} vs previous run" + (
        " (github-action-benchmark's default)" if ratio == 2.0 else ""
    )


def methods(judge_as: str, *, variants: bool = False, only: Sequence[str] = ()) -> dict[str, Judge]:
    """Every method by the name the table shows, this gate first; with ``only``, this gate and the
    methods whose names contain one of its strings (judging every peer takes minutes)."""
    found: dict[str, Judge] = {
        THIS_GATE: this_gate,
        LEGACY: legacy_gate(judge_as),
        FIXED: fixed_tolerances,
        f"t-test on per-run values (Bencher), {T_TEST_PER_METRIC:.0%} per metric": t_test(None),
        f"t-test on per-run values, {SHARED_RATE:.0%} per run (Bonferroni)": t_test(SHARED_RATE),
        **{ratio_name(ratio): ratio_rule(ratio) for ratio in NAIVE_RATIOS},
    }
    if variants:
        found |= variant_methods(judge_as)
    if only:
        found = {n: j for n, j in found.items() if n == THIS_GATE or any(part in n for part in only)}
    return found


OLD_FLOOR = {"external": Tolerance(0.10, 25), "sandbox": Tolerance(0.10, 5)}
OLD_WARN_FLOOR = {"external": Tolerance(0.05, 10), "sandbox": Tolerance(0.05, 2)}


def variant_methods(judge_as: str) -> Mapping[str, Judge]:
    """This gate with one part taken back to what it was, each alone."""
    old_floor = {"fail": OLD_FLOOR[judge_as], "warn": OLD_WARN_FLOOR[judge_as]}
    return {
        "variant: each endpoint's own runner noise (before issue 22)": gate_variant(Method(pooled=False)),
        "variant: no common-mode rejection": gate_variant(Method(common_mode=False)),
        "variant: common mode weighted by the history": gate_variant(Method(weighted_common_mode=True)),
        "variant: failing at 3% per run (the rate before)": rate_variant(Method(), 0.03),
        "variant: p50 instead of the typical time": gate_variant(Method(), metrics=("p50",)),
        "variant: p95 and p99 judged too": gate_variant(Method(), metrics=("typical", "p95", "p99")),
        "variant: Bonferroni, not Holm": gate_variant(Method(holm=False)),
        "variant: normal, no degrees of freedom": gate_variant(Method(satterthwaite=False)),
        "variant: no run-wide minimum effect": gate_variant(Method(), run_wide={}),
        "variant: the old fixed minimum effect": gate_variant(Method(floor=old_floor)),
    }


def read_trial_history(baseline: Path, current: Results) -> History:
    history = read_history(baseline / BASELINE_HISTORY)
    preset = current.facts.preset if current.facts else None
    return history.compatible_with(current.facts, preset=preset)[0]
