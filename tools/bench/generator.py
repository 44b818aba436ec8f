"""How much CPU does the load generator spend per request?

In one run, against the same stand-in API, the CPU seconds per 1,000 requests of:
(a) the full locustfile with zero wait, (b) a bare FastHttpUser looping on one GET, and
(c) Locust's HttpUser doing the same; then the ratios (a)/(b) and (c)/(b). The stand-in and
Locust are pinned to different cores when taskset exists, so they do not compete.
Exit codes: 0 (a) <= 1.5 x (b); 1 missed; 2 the benchmark could not run.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from tools.bench.measure import Target, Users, Window, can_pin, measure_locust

TARGET_RATIO = 1.5
"""Issue 7: the full locustfile may cost at most 1.5 times the bare FastHttpUser loop per request:
its sign-in, fake data and response checks are worth that much, no more."""
BARE_USERS = Path(__file__).resolve().with_name("bare_users.py")
FULL = Users()
"""The full locustfile with zero wait."""


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    users: Users


SCENARIOS = (
    Scenario("a", "full locustfile, zero wait", FULL),
    Scenario("b", "bare FastHttpUser, one GET", Users(BARE_USERS, ("BareFastHttpUser",), wait_s=None)),
    Scenario("c", "bare HttpUser, one GET", Users(BARE_USERS, ("BareHttpUser",), wait_s=None)),
)


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    windows: tuple[Window, ...]

    @property
    def cpu_s_per_1000(self) -> float:
        """Median over the repetitions: one noisy window does not decide."""
        return statistics.median(w.cpu_s_per_1000 for w in self.windows)

    @property
    def spread(self) -> tuple[float, float]:
        values = [w.cpu_s_per_1000 for w in self.windows]
        return min(values), max(values)

    @property
    def rate(self) -> float:
        return statistics.median(w.rate for w in self.windows)

    @property
    def generator_util(self) -> float:
        return statistics.median(w.generator_util for w in self.windows)

    @property
    def target_util(self) -> float:
        return statistics.median(w.target_util for w in self.windows)

    @property
    def machine_util(self) -> float:
        return statistics.median(w.machine_util for w in self.windows)


def ratio(results: dict[str, Result], top: str, bottom: str) -> float:
    return results[top].cpu_s_per_1000 / results[bottom].cpu_s_per_1000


def verdict(full_over_bare: float) -> str:
    return "PASS" if full_over_bare <= TARGET_RATIO else "FAIL"


def render(results: dict[str, Result], *, pinned: bool) -> str:
    header = f"{'scenario':<34} {'CPU s/1000 req':>14} {'min..max':>13} {'req/s':>8}"
    lines = [f"{header} {'Locust CPU':>10} {'stand-in CPU':>12} {'machine':>7}"]
    for result in results.values():
        low, high = result.spread
        lines.append(
            f"({result.scenario.key}) {result.scenario.label:<30} {result.cpu_s_per_1000:>14.3f} "
            f"{f'{low:.3f}..{high:.3f}':>13} {result.rate:>8.0f} {result.generator_util:>10.0%} "
            f"{result.target_util:>12.0%} {result.machine_util:>7.0%}"
        )
    full, http = ratio(results, "a", "b"), ratio(results, "c", "b")
    lines += [
        "",
        f"(a)/(b) full locustfile / bare FastHttpUser = {full:.2f}"
        f"  (target <= {TARGET_RATIO:g}): {verdict(full)}",
        f"(c)/(b) HttpUser / FastHttpUser             = {http:.2f}",
        "CPU is the Locust process's user+system time in the measured window (median of the repetitions);",
        "machine = busy CPU of all processes (other work on the machine shows up there);",
        "Locust and the stand-in were "
        + ("pinned to different cores." if pinned else "not pinned (no taskset)."),
    ]
    return "\n".join(lines)


def run(duration_s: float, users: int, repeat: int, logs: Path) -> dict[str, Result]:
    pin = can_pin()
    windows: dict[str, list[Window]] = {s.key: [] for s in SCENARIOS}
    with Target(cores="0" if pin else None) as target:
        # Interleaved, so that a slow moment of the machine hits every scenario alike.
        for n in range(repeat):
            for scenario in SCENARIOS:
                measured = measure_locust(
                    scenario.users,
                    target,
                    users=users,
                    window_s=duration_s,
                    cores="1" if pin else None,
                    log=logs / f"{scenario.key}-{n + 1}.log",
                )
                print(
                    f"  run {n + 1}/{repeat} ({scenario.key}): {measured.requests} requests, "
                    f"{measured.cpu_s_per_1000:.3f} CPU s/1000",
                    flush=True,
                )
                windows[scenario.key].append(measured)
    return {s.key: Result(s, tuple(windows[s.key])) for s in SCENARIOS}
