"""Calibration: how often the gate cries wolf, and how small a slowdown it catches, measured.

One command (``scripts/calibrate.py``) runs the real locustfile against the stand-in API with
heavy-tailed latency on every endpoint (lognormal, median 50 ms, p95 = 2.5 x median), then:

1. ``K + T`` unchanged runs: a rolling baseline is recorded after each (scripts/record_baseline.py's
   code, keeping K), so A/A trial ``i`` judges unchanged run ``K + i`` against the K runs before it;
2. ``T`` runs per slowdown X, one endpoint's latency scaled by ``1 + X``, each judged against one
   of those rolling baselines;
3. each trial is judged three ways: this gate against the history (``run_gate`` on the recorded
   baseline), the fixed tolerances of thresholds.json against the previous run (``run_gate`` on a
   baseline without history), and github-action-benchmark's rule (current / previous > ratio on
   any latency metric of any row).

A false alarm is an A/A trial with any regression flagged at fail level on any row (the gate's
methods count throughput and failures too; the naive rule only knows latency), reported beside
the rate of any flag at all (warn too); a detection is a fail-level flag on the slowed endpoint.

Runs execute ``--parallel`` at a time, each against its own sandbox: injected latency is a
cooperative sleep, so runs share the CPU as long as it is not saturated, which the summary
reports (CPU seconds used per wall second, and Locust's own high-CPU warning).
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tabulate import tabulate

from loadtest import bundle
from loadtest.bundle import AGGREGATE, Results, read_results
from loadtest.gate.history import record_baseline
from loadtest.gate.report import GateReport, run_gate
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS, load_thresholds
from loadtest.presets import load_preset
from loadtest.run import Overrides, plan_run, run_plan
from loadtest.run.plan import ROOT

LATENCY = {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5}
"""The injected latency on every endpoint: heavy-tailed like a real API's, not a narrow jitter."""
NAIVE_RATIOS = (2.0, 1.3, 1.2)
"""github-action-benchmark's default alert threshold (200%) and two tuned ones."""
GOAL_DETECTION, GOAL_FALSE_ALARMS = 0.95, 0.05


@dataclass(frozen=True, kw_only=True)
class Settings:
    """One calibration: what to run and how many times."""

    preset: str = "smoke"
    history_runs: int = 10
    """K: runs in every baseline history."""
    trials: int = 20
    """T: A/A trials, and trials per slowdown."""
    slowdowns: tuple[float, ...] = (0.1, 0.2, 0.3)
    run_time_s: float | None = None
    users: int | None = None
    wait_min: float | None = None
    wait_max: float | None = None
    endpoint: str = "GET /api/dashboard/"
    parallel: int = 4
    seed: int = 1
    out: Path = field(default_factory=lambda: ROOT / "results" / "calibration")
    thresholds: Path = DEFAULT_THRESHOLDS


@dataclass(frozen=True)
class RunSpec:
    """One Locust run: unchanged (slowdown 0) or with the endpoint slowed."""

    slowdown: float
    index: int

    @property
    def name(self) -> str:
        kind = f"slow{self.slowdown * 100:g}" if self.slowdown else "unchanged"
        return f"{kind}-{self.index:03d}"


@dataclass
class Tally:
    """Counts for one method: false alarms in A/A trials, detections per slowdown."""

    false_alarms: int = 0
    any_flags: int = 0
    aa_trials: int = 0
    detected: dict[float, int] = field(default_factory=dict)
    trials: dict[float, int] = field(default_factory=dict)

    def detection_rate(self, slowdown: float) -> float:
        return self.detected.get(slowdown, 0) / self.trials[slowdown] if self.trials.get(slowdown) else 0.0

    def smallest_detected(self, slowdowns: Sequence[float]) -> float | None:
        """The smallest slowdown caught in >= 95% of trials, if false alarms stay <= 5%."""
        if not self.aa_trials or self.false_alarms / self.aa_trials > GOAL_FALSE_ALARMS:
            return None
        caught = [x for x in sorted(slowdowns) if self.detection_rate(x) >= GOAL_DETECTION]
        return caught[0] if caught else None


# --- running -------------------------------------------------------------------


def plan_runs(settings: Settings) -> list[RunSpec]:
    """Every run, in a shuffled order so that slow and unchanged runs share the machine's moods."""
    unchanged = [RunSpec(0.0, i) for i in range(settings.history_runs + settings.trials)]
    slowed = [RunSpec(x, i) for x in settings.slowdowns for i in range(settings.trials)]
    runs = unchanged + slowed
    random.Random(settings.seed).shuffle(runs)
    return runs


def faults_for(settings: Settings, slowdown: float) -> list[dict]:
    """Lognormal latency everywhere; the slowed endpoint's scaled by 1 + slowdown (first rule wins)."""
    rules = [{"match": "*", "jitter": LATENCY}]
    if slowdown:
        rules.insert(0, {"match": settings.endpoint, "jitter": LATENCY, "scale": 1 + slowdown})
    return rules


def run_one(settings: Settings, spec: RunSpec, seed: int) -> Path:
    """One headless run of the real locustfile against its own sandbox; returns the bundle."""
    out = settings.out / "runs" / spec.name
    if (out / bundle.STATS_CSV).is_file():
        return out  # measured by an earlier, interrupted calibration
    shutil.rmtree(out, ignore_errors=True)
    overrides = Overrides(
        users=settings.users,
        spawn_rate=float(settings.users) if settings.users else None,
        run_time_s=settings.run_time_s,
        wait_min_s=settings.wait_min,
        wait_max_s=settings.wait_max,
    )
    faults = tuple(faults_for(settings, spec.slowdown))
    plan = plan_run(
        settings.preset, overrides, host=None, out=out, seed=seed, faults=faults, sandbox_seed=seed
    )
    run_plan(plan, echo=False)
    return out


@dataclass(frozen=True)
class Measured:
    """The bundles of a calibration and what running them cost."""

    unchanged: list[Path]
    slowed: dict[float, list[Path]]
    wall_s: float
    cpu_s: float
    cpu_warnings: int


def run_all(settings: Settings, progress: Callable[[str], None] = print) -> Measured:
    """Run every planned run, ``settings.parallel`` at a time."""
    runs = plan_runs(settings)
    started = time.monotonic()
    cpu_before = _children_cpu_s()
    done = 0

    def one(item: tuple[int, RunSpec]) -> tuple[RunSpec, Path]:
        nonlocal done
        number, spec = item
        path = run_one(settings, spec, seed=settings.seed * 100_000 + number)
        done += 1
        progress(f"calibrate: {done}/{len(runs)} {spec.name} ({time.monotonic() - started:.0f} s)")
        return spec, path

    with ThreadPoolExecutor(max_workers=settings.parallel) as pool:
        finished = list(pool.map(one, enumerate(runs)))
    paths = {spec: path for spec, path in finished}
    unchanged = [paths[RunSpec(0.0, i)] for i in range(settings.history_runs + settings.trials)]
    slowed = {x: [paths[RunSpec(x, i)] for i in range(settings.trials)] for x in settings.slowdowns}
    warnings = sum(_cpu_warning(path) for path in paths.values())
    wall = time.monotonic() - started
    return Measured(unchanged, slowed, wall, _children_cpu_s() - cpu_before, warnings)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_warning(bundle_dir: Path) -> bool:
    """Locust logs a warning when its process passes 90% CPU: its timings would be skewed."""
    log = bundle_dir / bundle.LOCUST_LOG
    return log.is_file() and "CPU usage above" in log.read_text(encoding="utf-8", errors="replace")


def measured_from(settings: Settings) -> Measured:
    """The bundles of an earlier calibration in ``settings.out``, to judge them again without running."""
    runs = settings.out / "runs"
    unchanged = [runs / RunSpec(0.0, i).name for i in range(settings.history_runs + settings.trials)]
    slowed = {x: [runs / RunSpec(x, i).name for i in range(settings.trials)] for x in settings.slowdowns}
    return Measured(unchanged, slowed, 0.0, 0.0, 0)


# --- judging -------------------------------------------------------------------


@dataclass
class Outcome:
    """Every method's tally, and what it took."""

    settings: Settings
    measured: Measured
    tallies: dict[str, Tally]
    requests: dict[str, float]
    """Median requests per run, for the slowed endpoint and the aggregate."""


HISTORY = "this gate: history band"
HISTORY_P95 = "this gate, p95 flags only"
FALLBACK = "fixed tolerances vs previous run"


def judge(settings: Settings, measured: Measured, progress: Callable[[str], None] = print) -> Outcome:
    """Judge every trial by every method."""
    baselines = _rolling_baselines(settings, measured.unchanged)
    results = {path: read_results(path) for path in measured.unchanged}
    naive = {_naive_name(ratio): ratio for ratio in NAIVE_RATIOS}
    tallies = {name: Tally() for name in (HISTORY, HISTORY_P95, FALLBACK, *naive)}
    k = settings.history_runs
    latency_metrics = _latency_metrics(settings)
    for i in range(settings.trials):
        current, previous = results[measured.unchanged[k + i]], results[measured.unchanged[k + i - 1]]
        verdicts = _verdicts(settings, current, previous, baselines[k + i - 1], naive, latency_metrics)
        for name, findings in verdicts.items():
            tally = tallies[name]
            tally.aa_trials += 1
            tally.false_alarms += any(level == "fail" for _, _, level in findings)
            tally.any_flags += bool(findings)
    for x, paths in measured.slowed.items():
        for j, path in enumerate(paths):
            current, previous = read_results(path), results[measured.unchanged[k + j - 1]]
            verdicts = _verdicts(settings, current, previous, baselines[k + j - 1], naive, latency_metrics)
            for name, findings in verdicts.items():
                tally = tallies[name]
                tally.trials[x] = tally.trials.get(x, 0) + 1
                hit = any(scope == settings.endpoint and level == "fail" for scope, _, level in findings)
                tally.detected[x] = tally.detected.get(x, 0) + hit
        progress(f"calibrate: judged the {x:.0%} slowdown")
    return Outcome(settings, measured, tallies, _requests(settings, [results[p] for p in measured.unchanged]))


Flag = tuple[str, str, str]
"""(row, metric, level) of one flagged latency regression."""


def _verdicts(
    settings: Settings,
    current: Results,
    previous: Results,
    baseline: Path,
    naive: dict[str, float],
    metrics: Sequence[str],
) -> dict[str, list[Flag]]:
    with_history = run_gate(current.source, baseline=baseline, thresholds_path=settings.thresholds)
    if with_history.history_runs != settings.history_runs:
        raise RuntimeError(f"{baseline}: the gate used {with_history.history_runs} runs of history")
    fixed = run_gate(current.source, baseline=previous.source, thresholds_path=settings.thresholds)
    verdicts = {
        HISTORY: _regression_flags(with_history),
        HISTORY_P95: [flag for flag in _regression_flags(with_history) if flag[1] == "p95"],
        FALLBACK: _regression_flags(fixed),
    }
    min_requests = fixed_min_requests(settings, current)
    for name, ratio in naive.items():
        verdicts[name] = naive_flags(current, previous, ratio, metrics, min_requests)
    return verdicts


def _regression_flags(report: GateReport) -> list[Flag]:
    """Every regression the gate reports: latency, and throughput or failures, which fire in A/A too."""
    return [(f.scope, f.metric or "", f.level) for f in report.findings if f.kind == "regression"]


def naive_flags(
    current: Results, previous: Results, ratio: float, metrics: Sequence[str], min_requests: int
) -> list[Flag]:
    """github-action-benchmark's rule: a metric fails when current / previous exceeds ``ratio``."""
    flags = []
    rows = [(current.aggregate, previous.aggregate)]
    rows += [
        (row, previous.endpoints[name])
        for name, row in current.endpoints.items()
        if name in previous.endpoints
    ]
    for now, then in rows:
        if min(now.requests, then.requests) < min_requests:
            continue
        for metric in metrics:
            value, before = now.value(metric), then.value(metric)
            if value is not None and before and value / before > ratio:
                flags.append((now.name, metric, "fail"))
    return flags


def fixed_min_requests(settings: Settings, current: Results) -> int:
    facts = current.facts
    rules = load_thresholds(settings.thresholds).rules_for(
        preset=facts.preset if facts else None, target=facts.target if facts else None
    )
    return rules.regression.min_requests


def _latency_metrics(settings: Settings) -> tuple[str, ...]:
    rules = load_thresholds(settings.thresholds).rules_for(preset=settings.preset, target="sandbox")
    return rules.regression.latency.metrics if rules.regression.latency else ("p95",)


def _naive_name(ratio: float) -> str:
    return f"ratio {ratio:.0%} vs previous run" + (" (default)" if ratio == 2.0 else "")


def _rolling_baselines(settings: Settings, unchanged: list[Path]) -> list[Path]:
    """Baseline ``m`` is unchanged run ``m`` recorded on top of baseline ``m - 1``, keeping K runs."""
    folder = settings.out / "baselines"
    shutil.rmtree(folder, ignore_errors=True)
    baselines: list[Path] = []
    for m, path in enumerate(unchanged[:-1]):
        out = folder / f"{m:03d}"
        previous = baselines[-1] if baselines else None
        record_baseline(path, previous=previous, out=out, keep=settings.history_runs)
        baselines.append(out)
    return baselines


def _requests(settings: Settings, runs: list[Results]) -> dict[str, float]:
    def median(values: list[int]) -> float:
        ordered = sorted(values)
        return ordered[len(ordered) // 2] if ordered else 0.0

    slowed = [run.endpoints[settings.endpoint].requests for run in runs if settings.endpoint in run.endpoints]
    return {
        settings.endpoint: median(slowed),
        AGGREGATE: median([run.aggregate.requests for run in runs]),
        "fewest per endpoint": median([min(r.requests for r in run.endpoints.values()) for run in runs]),
    }


# --- the report -------------------------------------------------------------------


def describe_settings(settings: Settings) -> str:
    preset = load_preset(settings.preset)
    users = settings.users or preset.users
    wait_min = settings.wait_min if settings.wait_min is not None else preset.settings.get("wait-min", "?")
    wait_max = settings.wait_max if settings.wait_max is not None else preset.settings.get("wait-max", "?")
    run_time = settings.run_time_s or preset.run_time_s
    return (
        f"preset {settings.preset}: {users} users, waits {wait_min}-{wait_max} s, {run_time:g} s runs; "
        f"K={settings.history_runs} history runs, T={settings.trials} trials each; "
        f"slowed: {settings.endpoint}; latency on every endpoint lognormal, median "
        f"{LATENCY['median_ms']} ms, p95 {LATENCY['p95_ratio']} x median"
    )


def render_table(outcome: Outcome) -> str:
    """The side-by-side table: false alarms and detection per slowdown, with counts."""
    slowdowns = sorted(outcome.measured.slowed)
    headers = [
        "method",
        "false alarms (fail)",
        "any flag (warn too)",
        *(f"detected at +{x:.0%}" for x in slowdowns),
    ]
    rows = []
    for name, tally in outcome.tallies.items():
        rows.append(
            [
                name,
                _count(tally.false_alarms, tally.aa_trials),
                _count(tally.any_flags, tally.aa_trials),
                *(_count(tally.detected.get(x, 0), tally.trials.get(x, 0)) for x in slowdowns),
            ]
        )
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def render_report(outcome: Outcome) -> str:
    settings, measured = outcome.settings, outcome.measured
    lines = [f"Calibration: {describe_settings(settings)}", "", render_table(outcome), ""]
    slowdowns = sorted(measured.slowed)
    for name, tally in outcome.tallies.items():
        if name == HISTORY_P95:
            continue
        smallest = tally.smallest_detected(slowdowns)
        found = f"+{smallest:.0%}" if smallest is not None else "none of those tried"
        lines.append(f"smallest slowdown caught in >=95% of trials at <=5% false alarms, {name}: {found}")
    requests = ", ".join(f"{name} {count:,.0f}" for name, count in outcome.requests.items())
    lines.append(f"median requests per unchanged run: {requests}")
    if measured.wall_s:
        cores = measured.cpu_s / measured.wall_s
        lines.append(
            f"ran {len(measured.unchanged) + sum(map(len, measured.slowed.values()))} runs, "
            f"{settings.parallel} at a time, in {measured.wall_s / 60:.1f} min; "
            f"CPU {measured.cpu_s:.0f} s = {cores:.2f} cores on average; "
            f"Locust CPU warnings: {measured.cpu_warnings}"
        )
    return "\n".join(lines) + "\n"


def save(outcome: Outcome, text: str) -> None:
    (outcome.settings.out / "calibration.txt").write_text(text, encoding="utf-8")
    data = {
        name: {
            "false_alarms": [t.false_alarms, t.aa_trials],
            "any_flags": [t.any_flags, t.aa_trials],
            "detected": {f"{x:g}": [t.detected.get(x, 0), t.trials.get(x, 0)] for x in t.trials},
        }
        for name, t in outcome.tallies.items()
    }
    (outcome.settings.out / "calibration.json").write_text(
        json.dumps(data, indent=2) + "\n", encoding="utf-8"
    )


def _count(hits: int, total: int) -> str:
    return f"{hits}/{total} ({hits / total:.0%})" if total else "-"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
