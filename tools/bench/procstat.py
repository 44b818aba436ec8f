"""CPU time of running processes and of the machine, from psutil (a dependency of Locust)."""

from __future__ import annotations

import psutil


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants alive now (Locust's --processes forks its workers)."""
    try:
        return [pid] + [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return [pid]


def tree_cpu(pids: list[int]) -> dict[int, float]:
    """User plus system CPU seconds of each process in ``pids`` that is still alive."""
    seconds = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue  # it ended: left out rather than counted as zero
        seconds[pid] = times.user + times.system
    return seconds


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling and waiting for I/O, since boot (guest time
    is already counted in user time)."""
    times = psutil.cpu_times()
    return sum(getattr(times, name, 0.0) for name in ("user", "nice", "system", "irq", "softirq", "steal"))
