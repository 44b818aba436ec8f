"""Calibration of the paired verdict (``python -m tools calibrate --ab``): a base against a head on one
machine.

Each trial starts two stand-in API processes with the same latency model (lognormal on every
endpoint, median 50 ms, p95 2.5 x the median), the base and the head, and loads both in one run
of the real locustfile (loadtest.sides) for at most ``run_time_s`` in all. The head is either the
same (an A/A trial) or has one endpoint slower by 5%, 10% or 20%. Two models of what else differs:

* ``drift``: the machine has a slow phase within the run: for 20-40 s starting at a random moment
  every latency of BOTH processes is 15-50% higher (the calibration replaces both stand-ins' fault
  rules at once, ``PUT /__sandbox/faults``), as a busy shared runner gives;
* ``offset``: the two processes are never quite equal: every latency of the head is 1% higher or
  lower than the base's (the sign drawn per trial), for the whole run.

Each trial is judged as a pull request would be (loadtest.gate.paired, thresholds of a real host):
a false alarm is an A/A trial with any fail-level finding; a detection is a fail-level finding on
the slowed endpoint (or the aggregate). Counts come with Wilson 95% intervals.
"""

from __future__ import annotations

import json
import random
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest import bundle
from loadtest.gate.paired import Method, judge_against_base
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS, load_thresholds
from loadtest.run import Overrides, plan_run, run_plan
from loadtest.run.plan import ROOT, BaseSide
from loadtest.sandbox import running_sandbox, set_faults
from loadtest.settings import Settings as RunSettings
from loadtest.sides import DESIGNS
from tools.calibration import running
from tools.calibration.judging import Tally, judging_thresholds
from tools.calibration.models import LatencyModel, faults_for
from tools.calibration.report import tally_table

AB_MODELS = ("drift", "offset")
TRIAL_FACTS = "ab-trial.json"
"""What one trial injected (model, design, slowdown, offset or slow phase), beside its bundle."""


@dataclass(frozen=True, kw_only=True)
class ABSettings:
    """One calibration of the paired verdict."""

    model: str = "drift"
    designs: tuple[str, ...] = DESIGNS
    trials: int = 40
    """A/A trials, and trials per slowdown."""
    slowdowns: tuple[float, ...] = (0.05, 0.1, 0.2)
    run_time_s: float = 120.0
    """Load for both sides together."""
    block_s: float = 10.0
    users: int | None = None
    endpoint: str = "GET /api/dashboard/"
    parallel: int = 3
    seed: int = 1
    preset: str = "smoke"
    out: Path = field(default_factory=lambda: ROOT / "results" / "calibration-ab")
    thresholds: Path = DEFAULT_THRESHOLDS

    def __post_init__(self) -> None:
        if self.model not in AB_MODELS:
            raise ValueError(f"unknown --ab model {self.model!r}; choose one of: {', '.join(AB_MODELS)}")
        unknown = [design for design in self.designs if design not in DESIGNS]
        if unknown or not self.designs:
            raise ValueError(f"--designs takes {', '.join(DESIGNS)}, got {', '.join(self.designs) or 'none'}")


@dataclass(frozen=True)
class Trial:
    design: str
    slowdown: float
    index: int

    @property
    def name(self) -> str:
        kind = f"slow{self.slowdown * 100:g}" if self.slowdown else "aa"
        return f"{self.design}-{kind}-{self.index:03d}"


def plan_trials(settings: ABSettings) -> list[Trial]:
    """Every trial, shuffled (seeded) so that designs and slowdowns share the machine's moods."""
    trials = [
        Trial(design, slowdown, index)
        for design in settings.designs
        for slowdown in (0.0, *settings.slowdowns)
        for index in range(settings.trials)
    ]
    random.Random(settings.seed).shuffle(trials)
    return trials


def phase_of(seed: int, run_time_s: float) -> tuple[float, float, float]:
    """The drift model's slow phase of one trial: (start s, length s, latency factor)."""
    rng = random.Random(f"phase-{seed}")
    length = rng.uniform(20.0, 40.0)
    start = rng.uniform(5.0, max(5.0, run_time_s - length - 5.0))
    return start, length, rng.uniform(1.15, 1.5)


def offset_of(seed: int) -> float:
    """The offset model's head-over-base factor of one trial: 1% one way or the other."""
    return 1.01 if random.Random(f"offset-{seed}").random() < 0.5 else 1 / 1.01


def run_trial(settings: ABSettings, trial: Trial, seed: int) -> Path:
    """One run of a base against a head, both stand-ins on loopback; returns the bundle."""
    out = settings.out / "runs" / trial.name
    if (out / bundle.STATS_CSV).is_file():
        return out  # measured by an earlier, interrupted calibration
    shutil.rmtree(out, ignore_errors=True)
    model = LatencyModel(name="lognormal")
    offset = offset_of(seed) if settings.model == "offset" else 1.0
    base_rules = faults_for(model, settings.endpoint, 0.0)
    head_rules = faults_for(model, settings.endpoint, trial.slowdown, offset)
    phase = phase_of(seed, settings.run_time_s) if settings.model == "drift" else None
    api_key = str(uuid.uuid4())
    sandbox = {"api_key": api_key, "admin": phase is not None}
    with (
        running_sandbox(faults=base_rules, seed=seed, **sandbox) as base,
        running_sandbox(faults=head_rules, seed=seed + 1, **sandbox) as head,
    ):
        plan = plan_run(
            settings.preset,
            Overrides(users=settings.users, run_time_s=settings.run_time_s),
            host=head,
            out=out,
            seed=seed,
            settings=RunSettings(api_key=api_key),
            base=BaseSide(host=base, design=trial.design, block_s=settings.block_s),
        )
        stop = threading.Event()
        if phase is not None:
            sides = [(base, base_rules), (head, head_rules)]
            threading.Thread(target=_slow_phase, args=(sides, phase, stop), daemon=True).start()
        try:
            run_plan(plan, echo=False)
        finally:
            stop.set()
    facts = {
        "model": settings.model,
        "design": trial.design,
        "slowdown": trial.slowdown,
        "offset": offset,
        "phase": phase,
    }
    (out / TRIAL_FACTS).write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    return out


def _slow_phase(
    sides: Sequence[tuple[str, list[dict[str, Any]]]],
    phase: tuple[float, float, float],
    stop: threading.Event,
) -> None:
    """Both stand-ins slower by ``factor`` from ``start`` for ``length`` s (the machine's slow phase)."""
    start, length, factor = phase
    if stop.wait(start):
        return
    for url, rules in sides:
        set_faults(url, [{**rule, "scale": rule.get("scale", 1.0) * factor} for rule in rules])
    stop.wait(length)
    if not stop.is_set():
        for url, rules in sides:
            set_faults(url, rules)


def run_all(settings: ABSettings, progress: Callable[[str], None] = running.log) -> dict[Trial, Path]:
    trials = plan_trials(settings)
    started = time.monotonic()
    done: list[Trial] = []

    def one(item: tuple[int, Trial]) -> tuple[Trial, Path]:
        number, trial = item
        path = run_trial(settings, trial, seed=settings.seed * 100_000 + number * 10)
        done.append(trial)
        progress(
            f"calibrate --ab: {len(done)}/{len(trials)} {trial.name} ({time.monotonic() - started:.0f} s)"
        )
        return trial, path

    with ThreadPoolExecutor(max_workers=settings.parallel) as pool:
        return dict(pool.map(one, enumerate(trials)))


VARIANTS: dict[str, Method] = {
    "paired verdict": Method(),
    "variant: common mode on": Method(common_mode=True),
    "variant: common mode off": Method(common_mode=False),
    "variant: server spread on": Method(server_spread=True),
    "variant: server spread off": Method(server_spread=False),
}
"""The decision as thresholds.json sets it, and with the run-wide shift taken out or left in."""


def judge(settings: ABSettings, runs: dict[Trial, Path]) -> dict[str, Tally]:
    """A tally per design and method: false alarms in A/A trials, detections per slowdown."""
    thresholds_path = judging_thresholds(
        running.Settings(out=settings.out, thresholds=settings.thresholds, judge_as="external")
    )
    rules = load_thresholds(thresholds_path).rules_for(preset=settings.preset, target="sandbox").regression
    assert rules.base is not None, "thresholds.json has no regression.base"
    tallies: dict[str, Tally] = {}
    for trial, path in sorted(runs.items(), key=lambda item: item[0].name):
        results = bundle.read_results(path)
        for name, method in VARIANTS.items():
            verdict = judge_against_base(results, rules.base, min_requests=rules.min_requests, method=method)
            fails = [f for f in verdict.findings if f.level == "fail"]
            tally = tallies.setdefault(f"{trial.design}: {name}", Tally())
            if trial.slowdown == 0:
                tally.aa_trials += 1
                tally.false_alarms += bool(fails)
                tally.any_flags += bool(verdict.findings)
            else:
                hit = any(f.scope in (settings.endpoint, bundle.AGGREGATE) for f in fails)
                tally.trials[trial.slowdown] = tally.trials.get(trial.slowdown, 0) + 1
                tally.detected[trial.slowdown] = tally.detected.get(trial.slowdown, 0) + hit
    return tallies


def render(settings: ABSettings, tallies: dict[str, Tally]) -> str:
    model = (
        "a slow phase of both sides within the run (20-40 s, +15-50%)"
        if settings.model == "drift"
        else "the head 1% slower or faster than the base on every endpoint"
    )
    lines = [
        f"Calibration of the paired verdict: model {settings.model} ({model}); lognormal latency, median "
        f"50 ms; {settings.run_time_s:g} s of load for both sides together per trial, blocks of "
        f"{settings.block_s:g} s; {settings.endpoint} slowed on the head; judged as a real host; "
        f"seed {settings.seed}",
        "",
        tally_table(tallies, settings.slowdowns, first="design: method"),
        "",
        "Counts are trials; in brackets the rate and its Wilson 95% interval.",
    ]
    return "\n".join(lines) + "\n"


def trials_in(settings: ABSettings) -> dict[Trial, Path]:
    """The trials of an earlier calibration in ``settings.out`` (for --judge-only); missing ones left out."""
    runs = {trial: settings.out / "runs" / trial.name for trial in plan_trials(settings)}
    return {trial: path for trial, path in runs.items() if (path / bundle.STATS_CSV).is_file()}
