"""CPU time of running processes, read from /proc (Linux) without psutil."""

from __future__ import annotations

import os
from pathlib import Path

from loadtest.run.server import proc_stats

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of one process so far; None once it has gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return parse_stat_cpu(stat)


def parse_stat_cpu(stat: str) -> float:
    """utime + stime (fields 14 and 15) of a /proc/PID/stat line, in seconds."""
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants alive now (Locust's --processes forks its workers)."""
    children: dict[int, list[int]] = {}
    for child, fields in proc_stats():
        children.setdefault(int(fields[1]), []).append(child)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, ()))
    return found


def tree_cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each process in ``pids`` that is still alive."""
    seconds = {pid: cpu_seconds(pid) for pid in pids}
    return {pid: value for pid, value in seconds.items() if value is not None}


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling and waiting for I/O, since boot."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0]
    except OSError:
        return 0.0
    return parse_machine_busy(first)


def parse_machine_busy(line: str) -> float:
    """Busy seconds from the ``cpu`` line of /proc/stat: everything but idle (4th) and iowait (5th)."""
    ticks = [int(value) for value in line.split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS
