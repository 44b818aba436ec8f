"""Running a calibration: every unchanged and slowed run of the real locustfile, each against its own
stand-in API on loopback, ``parallel`` at a time, in a seeded shuffled order."""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from loadtest import bundle
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS
from loadtest.run import Overrides, plan_run, run_plan
from loadtest.run.plan import ROOT
from tools.calibration.models import LatencyModel, faults_for

RUN_FACTS = "calibration-run.json"
"""What the calibration injected into one run (model, slowdown, speed factor, rules), beside its bundle."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """One calibration: what to run, how many times, and how to judge it."""

    preset: str = "smoke"
    model: LatencyModel = field(default_factory=LatencyModel)
    history_runs: int = 10
    """K: runs in every baseline history."""
    trials: int = 40
    """T: A/A trials, and trials per slowdown."""
    slowdowns: tuple[float, ...] = (0.1, 0.2)
    run_time_s: float | None = None
    users: int | None = None
    wait_min: float | None = None
    wait_max: float | None = None
    endpoint: str = "GET /api/dashboard/"
    parallel: int = 6
    seed: int = 1
    out: Path = field(default_factory=lambda: ROOT / "results" / "calibration")
    thresholds: Path = DEFAULT_THRESHOLDS
    judge_as: str = "external"
    """The target whose thresholds judge the runs: ``external`` (a real host's) or ``sandbox``."""
    variants: bool = False
    """Also judge by variants of this gate, each with one part taken back (what each part is worth)."""
    methods: tuple[str, ...] = ()
    """Judge only this gate and the methods whose names contain one of these; empty: every method."""
    histories: int = 0
    """0: each trial against the rolling history of the K unchanged runs before it. H > 0: H
    independent histories of K unchanged runs each, run apart from the trials, and every trial
    judged against each of them, so the detection rate's swing with the history shows."""


@dataclass(frozen=True)
class RunSpec:
    """One Locust run: unchanged (slowdown 0) or with the endpoint slowed."""

    slowdown: float
    index: int
    history: int | None = None
    """Which independent history an unchanged run belongs to (Settings.histories), if any."""

    @property
    def name(self) -> str:
        if self.history is not None:
            return f"history{self.history + 1}-{self.index:03d}"
        kind = f"slow{self.slowdown * 100:g}" if self.slowdown else "unchanged"
        return f"{kind}-{self.index:03d}"


def _unchanged_specs(settings: Settings) -> list[RunSpec]:
    """The A/A trials' runs (after the rolling history's K, without independent histories)."""
    rolling = 0 if settings.histories else settings.history_runs
    return [RunSpec(0.0, i) for i in range(rolling + settings.trials)]


def _history_specs(settings: Settings) -> list[list[RunSpec]]:
    return [[RunSpec(0.0, i, h) for i in range(settings.history_runs)] for h in range(settings.histories)]


def plan_runs(settings: Settings) -> list[RunSpec]:
    """Every run, in a shuffled order so that slow and unchanged runs share the machine's moods."""
    unchanged = _unchanged_specs(settings)
    slowed = [RunSpec(x, i) for x in settings.slowdowns for i in range(settings.trials)]
    runs = [spec for history in _history_specs(settings) for spec in history] + unchanged + slowed
    random.Random(settings.seed).shuffle(runs)
    return runs


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
    factor = settings.model.speed_factor(seed)
    faults = faults_for(settings.model, settings.endpoint, spec.slowdown, factor)
    plan = plan_run(
        settings.preset, overrides, host=None, out=out, seed=seed, faults=tuple(faults), sandbox_seed=seed
    )
    run_plan(plan, echo=False)
    facts = {
        "model": settings.model.name,
        "slowdown": spec.slowdown,
        "speed_factor": factor,
        "faults": faults,
    }
    (out / RUN_FACTS).write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    return out


@dataclass(frozen=True)
class Measured:
    """The bundles of a calibration and what running them cost."""

    unchanged: list[Path]
    slowed: dict[float, list[Path]]
    wall_s: float
    cpu_s: float
    cpu_warnings: int
    load: tuple[float, ...] = ()
    """The machine's 1-minute load average each time a run finished."""
    histories: list[list[Path]] = field(default_factory=list)
    """The independent histories' runs (Settings.histories), oldest first."""

    @property
    def every_run(self) -> list[Path]:
        slowed = [path for paths in self.slowed.values() for path in paths]
        return [*(path for history in self.histories for path in history), *self.unchanged, *slowed]


def run_all(settings: Settings, progress: Callable[[str], None] = print) -> Measured:
    """Run every planned run, ``settings.parallel`` at a time."""
    runs = plan_runs(settings)
    started = time.monotonic()
    cpu_before = _children_cpu_s()
    load: list[float] = []

    def one(item: tuple[int, RunSpec]) -> Path:
        number, spec = item
        path = run_one(settings, spec, seed=settings.seed * 100_000 + number)
        load.append(os.getloadavg()[0])
        progress(
            f"calibrate: {len(load)}/{len(runs)} {spec.name} ({time.monotonic() - started:.0f} s, "
            f"load {load[-1]:.2f})"
        )
        return path

    with ThreadPoolExecutor(max_workers=settings.parallel) as pool:
        list(pool.map(one, enumerate(runs)))
    wall = time.monotonic() - started
    measured = _measured(settings, settings.out / "runs")
    warnings = sum(_cpu_warning(path) for path in measured.every_run)
    return Measured(
        measured.unchanged,
        measured.slowed,
        wall,
        _children_cpu_s() - cpu_before,
        warnings,
        tuple(load),
        measured.histories,
    )


def _measured(settings: Settings, runs: Path) -> Measured:
    unchanged = [runs / spec.name for spec in _unchanged_specs(settings)]
    slowed = {x: [runs / RunSpec(x, i).name for i in range(settings.trials)] for x in settings.slowdowns}
    histories = [[runs / spec.name for spec in history] for history in _history_specs(settings)]
    return Measured(unchanged, slowed, 0.0, 0.0, 0, histories=histories)


def measured_from(settings: Settings) -> Measured:
    """The bundles of an earlier calibration in ``settings.out``, to judge them again without running."""
    measured = _measured(settings, settings.out / "runs")
    missing = [path for path in measured.every_run if not path.is_dir()]
    if missing:
        raise FileNotFoundError(
            f"{missing[0]}: no such run ({len(missing)} missing): --judge-only needs the runs of an "
            "earlier calibration with the same -K, -T, --histories and --slowdowns in --out"
        )
    warnings = sum(_cpu_warning(path) for path in measured.every_run)
    return Measured(measured.unchanged, measured.slowed, 0.0, 0.0, warnings, histories=measured.histories)


def load_summary(load: tuple[float, ...]) -> str:
    if not load:
        return ""
    return f"load average {min(load):.2f}-{max(load):.2f} (median {statistics.median(load):.2f})"


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_warning(bundle_dir: Path) -> bool:
    """Locust logs a warning when its process passes 90% CPU: its timings would be skewed."""
    log = bundle_dir / bundle.LOCUST_LOG
    return log.is_file() and "CPU usage above" in log.read_text(encoding="utf-8", errors="replace")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
