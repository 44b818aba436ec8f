"""How far does one machine go? The highest request rate with 1 and 2 Locust worker processes.

For each worker count, runs the full locustfile with zero wait against the stand-in API on loopback
with more and more users (each step bounded in time) until the rate stops growing, and says what ran
out first: the generator's CPU, the stand-in's CPU, or the machine's cores shared by both.
Nothing is pinned: this is how a run on this machine behaves. Exit codes: 0 measured; 2 could not run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.bench.generator import FULL
from tools.bench.measure import Target, Window, measure_locust

BUSY = 0.9
"""A process at 90% of a core or more is what limits the run: the rest is scheduling noise."""
DEFAULT_USERS = (10, 25, 50, 100, 200)
GROWTH = 1.03
"""A step counts as progress only if it beats the best rate so far by 3%, more than the noise."""


@dataclass(frozen=True)
class Step:
    workers: int
    users: int
    window: Window


def bottleneck(window: Window, cores: int) -> str:
    """What ran out first, from the CPU each side used in the window."""
    if window.target_util >= BUSY:
        return f"stand-in CPU ({window.target_util:.0%} of its one core)"
    if window.busiest_generator_util >= BUSY:
        return f"generator CPU (busiest Locust process at {window.busiest_generator_util:.0%} of a core)"
    if window.machine_util >= BUSY * cores:
        others = f"; {window.others_util:.0%} of it other processes" if window.others_util >= 0.1 else ""
        return f"the machine's {cores} cores ({window.machine_util:.0%} busy{others})"
    return "no CPU limit reached: more users would go further"


def best(steps: Sequence[Step]) -> Step:
    return max(steps, key=lambda step: step.window.rate)


def climb(
    workers: int, users_steps: Sequence[int], target: Target, window_s: float, logs: Path
) -> list[Step]:
    """Steps of growing user counts; stops after two steps without progress."""
    steps: list[Step] = []
    stalled = 0
    for users in users_steps:
        measured = measure_locust(
            FULL, target, users=users, window_s=window_s, workers=workers, log=logs / f"{workers}-{users}.log"
        )
        step = Step(workers, users, measured)
        print(f"  {render_row(step, os.cpu_count() or 1)}", flush=True)
        stalled = stalled + 1 if steps and measured.rate < best(steps).window.rate * GROWTH else 0
        steps.append(step)
        if stalled >= 2:
            break
    return steps


HEADER = (
    f"{'workers':>7} {'users':>5} {'req/s':>7} {'Locust CPU':>10} {'busiest':>7} {'stand-in':>8} "
    f"{'machine':>7}  bottleneck"
)


def render_row(step: Step, cores: int) -> str:
    w = step.window
    return (
        f"{step.workers:>7} {step.users:>5} {w.rate:>7.0f} {w.generator_util:>10.0%} "
        f"{w.busiest_generator_util:>7.0%} {w.target_util:>8.0%} {w.machine_util:>7.0%}  "
        f"{bottleneck(w, cores)}"
    )
