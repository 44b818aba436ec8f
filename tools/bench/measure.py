"""One measured window of a Locust run against the stand-in API: requests served and CPU of both sides.

The request count comes from the stand-in itself (``requests_served``, admin endpoints on), so
start-up, sign-up and shutdown stay outside the window and nothing Locust reports is trusted
for its own cost. CPU comes from psutil for the Locust process tree and the stand-in process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from loadtest.run.locust import start_locust, stop
from loadtest.run.plan import LOCUSTFILE, RunPlan
from loadtest.run.target import Target as RunTarget
from loadtest.sandbox import get_stats, sandbox_args, start_sandbox
from loadtest.sandbox.process import ServerProcess
from tools.bench.procstat import machine_busy_seconds, process_tree, tree_cpu

START_TIMEOUT_S = 30.0
"""How long Locust may take to import, start its users and send a first request."""


@dataclass(frozen=True)
class Sample:
    at: float
    served: int
    generator_cpu: dict[int, float]
    """CPU seconds per process of the Locust tree (master and workers)."""
    target_cpu: float
    machine_busy: float = 0.0
    """Busy CPU seconds of the whole machine: shows load from processes outside the benchmark."""


@dataclass(frozen=True)
class Window:
    """What happened between two samples."""

    seconds: float
    requests: int
    generator_cpu_s: float
    busiest_generator_cpu_s: float
    """CPU of the busiest single Locust process: a process cannot use more than one core."""
    target_cpu_s: float
    generator_processes: int
    machine_busy_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_s_per_1000(self) -> float:
        return 1000 * self.generator_cpu_s / self.requests if self.requests else float("inf")

    @property
    def generator_util(self) -> float:
        """Locust's CPU in cores (1.0 = one core busy all the time)."""
        return self.generator_cpu_s / self.seconds if self.seconds else 0.0

    @property
    def busiest_generator_util(self) -> float:
        return self.busiest_generator_cpu_s / self.seconds if self.seconds else 0.0

    @property
    def target_util(self) -> float:
        return self.target_cpu_s / self.seconds if self.seconds else 0.0

    @property
    def machine_util(self) -> float:
        """Busy cores of the whole machine (2.0 = both cores of a 2-core machine busy)."""
        return self.machine_busy_s / self.seconds if self.seconds else 0.0

    @property
    def others_util(self) -> float:
        """Cores busy with processes other than Locust and the stand-in."""
        return max(0.0, self.machine_util - self.generator_util - self.target_util)


def window(first: Sample, last: Sample) -> Window:
    """The difference of two samples; processes that were not alive at both are left out."""
    alive = first.generator_cpu.keys() & last.generator_cpu.keys()
    deltas = [last.generator_cpu[pid] - first.generator_cpu[pid] for pid in alive]
    return Window(
        seconds=last.at - first.at,
        requests=last.served - first.served,
        generator_cpu_s=sum(deltas),
        busiest_generator_cpu_s=max(deltas, default=0.0),
        target_cpu_s=last.target_cpu - first.target_cpu,
        generator_processes=len(deltas),
        machine_busy_s=last.machine_busy - first.machine_busy,
    )


def pinned(cores: str | None) -> list[str]:
    """A ``taskset -c CORES`` prefix, or nothing when taskset or the cores are missing."""
    if cores is None or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", cores]


def can_pin() -> bool:
    return bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2


class Target:
    """The stand-in API in its own process, admin endpoints on, optionally pinned to some cores."""

    def __init__(self, cores: str | None = None) -> None:
        self.cores = cores
        self.api_key = str(uuid.uuid4())
        self._server: ServerProcess | None = None

    def __enter__(self) -> Target:
        self._server = start_sandbox(
            sandbox_args(admin=True),
            wrapper=pinned(self.cores),
            env={"LOADTEST_API_KEY": self.api_key},
        )
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._server:
            self._server.stop()

    @property
    def url(self) -> str:
        assert self._server
        return self._server.url

    @property
    def pid(self) -> int:
        assert self._server
        return self._server.proc.pid

    def served(self) -> int:
        return int(get_stats(self.url)["requests_served"])


@dataclass(frozen=True)
class Users:
    """Which Locust users a measured run starts: a locustfile, its user classes, and their waits."""

    locustfile: Path = LOCUSTFILE
    classes: tuple[str, ...] = ()
    wait_s: tuple[float, float] | None = (0.0, 0.0)
    """The full locustfile's waits (zero: as fast as it goes); None for users with a wait of their own."""


def measure_locust(
    who: Users,
    target: Target,
    *,
    users: int,
    window_s: float,
    workers: int = 1,
    settle_s: float = 1.0,
    cores: str | None = None,
    log: Path | None = None,
) -> Window:
    """Run Locust headless against ``target`` and measure one window once its users are busy.

    Locust's own run time bounds the run even if this process dies; it is stopped right after the
    window. It runs without our LOADTEST_* settings (no credentials, no other host) but the key.
    """
    plan = RunPlan(
        preset="benchmark",
        locustfile=who.locustfile,
        user_classes=who.classes,
        users=users,
        spawn_rate=users,
        run_time_s=int(START_TIMEOUT_S + settle_s + window_s + 5),
        wait_s=who.wait_s,
        host=target.url,
        out=None,
        workers=workers,
        stop_timeout_s=1,
    )
    locust_target = RunTarget(target.url, "sandbox", target.api_key)
    with open(log or os.devnull, "w", encoding="utf-8") as out:
        proc = start_locust(
            plan, locust_target, stdout=out, wrapper=pinned(cores), own_settings=False, new_session=True
        )
        try:
            _wait_for_traffic(proc, target)
            time.sleep(settle_s)
            first = _sample(proc.pid, target)
            time.sleep(window_s)
            last = _sample(proc.pid, target)
        finally:
            stop(proc, wait_s=15)
    return window(first, last)


def _sample(locust_pid: int, target: Target) -> Sample:
    generator = tree_cpu(process_tree(locust_pid))
    target_cpu = tree_cpu([target.pid]).get(target.pid, 0.0)
    return Sample(
        at=time.monotonic(),
        served=target.served(),
        generator_cpu=generator,
        target_cpu=target_cpu,
        machine_busy=machine_busy_seconds(),
    )


def _wait_for_traffic(proc: subprocess.Popen, target: Target) -> None:
    before = target.served()
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Locust exited with code {proc.returncode} before sending load")
        if target.served() > before + 10:
            return
        time.sleep(0.2)
    raise RuntimeError(f"Locust sent no load within {START_TIMEOUT_S:g}s")
