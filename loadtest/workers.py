"""Distributed runs: the worker side of the master/worker recipe, and spotting workers lost mid-run.

Locust's master says in its log when a worker goes away: ``Worker ID failed to send heartbeat``
(killed, machine gone, network cut) or ``Worker 'ID' (index N) quit`` (stopped on its own). Only
lines before the run is over (``--run-time limit reached``, the end of a shape) count: at the end
of every run all workers quit.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass

DEFAULT_MASTER_PORT = 5557
"""Locust's own default; the workers connect to it, so a firewall must let it through."""

_READY = re.compile(r"(?P<id>\S+) \(index (?P<index>\d+)\) reported as ready")
_MISSING = re.compile(r"Worker (?P<id>\S+) failed to send heartbeat")
_QUIT = re.compile(r"Worker '(?P<id>[^']+)' \(index (?P<index>\d+)\) quit")
_HEALED = re.compile(r"Worker (?P<id>\S+) self-healed with heartbeat")
_RUN_OVER = (
    "--run-time limit reached",
    "Shape test stopping",
    "Exiting due to CTRL+C",
    "Got quit message from master",
)
"""Lines that say the run is over. Not ``Shutting down``: a local worker killed mid-run logs that too."""
_TIMESTAMP = re.compile(r"^\[(?P<at>[\d\- :,]+)\]")


@dataclass
class LostWorker:
    """A worker that left before the run was over."""

    id: str
    index: int | None
    how: str
    """``stopped sending heartbeats`` or ``quit``."""
    at: str | None
    """Locust's log timestamp of the line that said so."""

    def describe(self) -> str:
        index = f" (index {self.index})" if self.index is not None else ""
        when = f" at {self.at}" if self.at else ""
        return f"worker {self.id}{index} {self.how}{when}"


class LostWorkerWatch:
    """Reads the master's output line by line and keeps the workers it lost during the run."""

    def __init__(self) -> None:
        self._indexes: dict[str, int] = {}
        self._lost: dict[str, LostWorker] = {}
        self._run_over = False

    def observe(self, line: str) -> None:
        if self._run_over:
            return
        if any(marker in line for marker in _RUN_OVER):
            self._run_over = True
        elif match := _READY.search(line):
            self._indexes[match["id"]] = int(match["index"])
        elif match := _MISSING.search(line):
            self._add(match["id"], "stopped sending heartbeats", line)
        elif match := _QUIT.search(line):
            self._indexes[match["id"]] = int(match["index"])
            self._add(match["id"], "quit", line)
        elif match := _HEALED.search(line):
            self._lost.pop(match["id"], None)

    def end(self) -> None:
        """The run is over (stopped early, interrupted): workers that leave from here are not lost."""
        self._run_over = True

    def _add(self, worker_id: str, how: str, line: str) -> None:
        if worker_id in self._lost:
            return
        stamp = _TIMESTAMP.match(line)
        at = stamp["at"] if stamp else None
        self._lost[worker_id] = LostWorker(worker_id, self._indexes.get(worker_id), how, at)

    @property
    def lost(self) -> list[LostWorker]:
        return list(self._lost.values())

    def as_json(self) -> list[dict]:
        """What run.json records under ``lost_workers``."""
        return [asdict(worker) for worker in self.lost]

    def warnings(self) -> list[str]:
        return [
            f"run_tests: warning: lost {worker.describe()} before the run was over; the run went on "
            "without it, so the figures after that time come from fewer workers (and possibly fewer users)"
            for worker in self.lost
        ]


def check_master_host(host: str) -> str:
    """A bare host name or address (no scheme, no port, no path), or ValueError saying what to give."""
    host = host.strip()
    if not re.fullmatch(r"[A-Za-z0-9.\-]+|\[?[0-9A-Fa-f:]+\]?", host):
        raise ValueError(f"--master-host {host!r} must be a host name or an address, e.g. 10.0.0.5")
    return host.strip("[]")


def worker_command(
    *, master_host: str, master_port: int, locustfile: str, processes: int = 1, seed: int | None = None
) -> list[str]:
    """``locust --worker``: takes its users, host and options from the master; exits when it quits."""
    cmd = [sys.executable, "-m", "locust", "-f", locustfile, "--worker"]
    cmd += ["--master-host", master_host, "--master-port", str(master_port)]
    if processes > 1:
        cmd += ["--processes", str(processes)]
    if seed is not None:
        # The data pools are built when the worker starts, before the master's options arrive.
        cmd += ["--seed", str(seed)]
    return cmd
