"""Progress and stop conditions, from inside Locust: a status line at a steady interval, and an early
stop when the target is plainly failing.

The watch runs on the local runner or the master (a worker's numbers are its share only) and reads
Locust's own stats, so plain ``locust --config ...`` shows the same lines as the runner::

    progress: 20s/60s users 10 requests 1,984 99.2 req/s failures 0.00% p95 3 ms

After a warm-up it checks the stop conditions every second; when one fires it logs one line,
``stopped early after 21 s: failure ratio 76% over the last 10 s, above 50%``, and stops the run
(Locust still writes its reports). The runner (loadtest.run) relays both lines to the console,
records the stop in run.json, and the gate fails the run.

Every setting is a Locust option of ours (``--progress-interval``, ``--stop-*``), so a preset sets
them in its .conf and the runner passes thresholds.json's ``stop`` section on top. This module
imports neither gevent nor Locust at the top: the runner and the gate read its formats and names.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

LOGGER = __name__
"""The logger both lines come from: the runner tells them from the rest of Locust's log by it."""
STATUS_PREFIX = "progress: "
_STOPPED = re.compile(r"^stopped early after (?P<at>\d+) s: (?P<why>.+)$")
CHECK_EVERY_S = 1.0
MIN_WINDOW_REQUESTS = 10
"""Fewer requests than this in the window say too little: one failure of two is 50%."""


@dataclass(frozen=True, kw_only=True)
class StopRules:
    """When a run stops early. The defaults, on for every preset, are chosen so that a stop means the
    target is broken, not slow or degraded: the gate judges degradation, a stop only saves a real host
    (and the runner's minutes) from a load that can only fail."""

    warmup_s: float = 10.0
    """Nothing is checked before: users sign in first (slow by design on a real host), workers report
    every 3 s, and a window needs requests in it. 10 s still stops a dead target in a third of a smoke."""
    failure_ratio: float = 0.5
    """Stop above this ratio over the window (1: never). Ten times the loosest failure limit of
    thresholds.json (5% under stress): a run this bad has nothing left to measure."""
    failure_window_s: float = 10.0
    """Long enough to hold ~100 requests at the slowest preset's pace, short enough to react."""
    no_success_s: float = 15.0
    """Stop when no request succeeded for this long (0: never): a hung or dead target. Longer than the
    10 s request timeout, so a target that answers slowly but answers is never stopped."""

    def check(self, elapsed_s: float, window: tuple[int, int], since_success_s: float) -> str | None:
        """The condition that fires, in words, or None. ``window``: (requests, failures) of the window."""
        if elapsed_s < self.warmup_s:
            return None
        requests, failures = window
        if self.no_success_s and since_success_s >= self.no_success_s:
            return f"no successful request for {since_success_s:.0f} s"
        if requests >= MIN_WINDOW_REQUESTS and failures / requests > self.failure_ratio:
            return (
                f"failure ratio {failures / requests:.0%} over the last {self.failure_window_s:g} s, "
                f"above {self.failure_ratio:.0%}"
            )
        return None


STOP_OPTIONS: Mapping[str, str] = {
    "warmup_s": "stop-warmup",
    "failure_ratio": "stop-failure-ratio",
    "failure_window_s": "stop-failure-window",
    "no_success_s": "stop-no-success",
}
"""StopRules field (and thresholds.json ``stop`` key) -> the Locust option (and preset .conf key)."""


def stop_flags(stop: Mapping[str, float]) -> list[str]:
    """Locust's command line for thresholds.json's ``stop`` keys: ``--stop-failure-ratio 0.2 ...``."""
    flags: list[str] = []
    for key, value in stop.items():
        flags += [f"--{STOP_OPTIONS[key]}", f"{value:g}"]
    return flags


@dataclass(frozen=True, kw_only=True)
class Status:
    """The run so far, as one status line shows it."""

    elapsed_s: float
    planned_s: float | None
    users: int
    requests: int
    failures: int
    rps: float
    p95_ms: float | None

    def line(self) -> str:
        """``progress: 20s/60s users 10 requests 1,984 99.2 req/s failures 0.00% p95 3 ms``."""
        planned = f"/{self.planned_s:.0f}s" if self.planned_s else ""
        failures = self.failures / self.requests if self.requests else 0.0
        p95 = f"{self.p95_ms:,.0f} ms" if self.p95_ms is not None else "-"
        return (
            f"{STATUS_PREFIX}{round(self.elapsed_s)}s{planned} users {self.users} "
            f"requests {self.requests:,} {self.rps:,.1f} req/s failures {failures:.2%} p95 {p95}"
        )


def is_status(logger_name: str, message: str) -> bool:
    return logger_name == LOGGER and message.startswith(STATUS_PREFIX)


def stop_message(at_s: float, condition: str) -> str:
    return f"stopped early after {round(at_s)} s: {condition}"


def parse_stop(logger_name: str, message: str) -> tuple[float, str] | None:
    """(seconds into the run, the condition) from the stop line, or None for any other line."""
    match = _STOPPED.match(message) if logger_name == LOGGER else None
    return (float(match["at"]), match["why"]) if match else None


# --- in Locust: the options and the watch --------------------------------------------------------


def add_options(parser: Any) -> None:
    """Our Locust options (a preset's .conf may set them: ``stop-failure-ratio = 0.8``)."""
    parser.add_argument(
        "--progress-interval", type=float, default=10.0, help="Seconds between status lines (0: none)"
    )
    defaults = StopRules()
    helps = {
        "warmup_s": "Seconds before the stop conditions are checked",
        "failure_ratio": "Stop when the failure ratio over the window is above this (1: never)",
        "failure_window_s": "Seconds of the failure-ratio window",
        "no_success_s": "Stop when no request succeeded for this many seconds (0: never)",
    }
    for key, option in STOP_OPTIONS.items():
        parser.add_argument(f"--{option}", type=float, default=getattr(defaults, key), help=helps[key])


def stop_rules(options: Any) -> StopRules:
    """The StopRules Locust's parsed options give."""
    return StopRules(
        **{key: getattr(options, option.replace("-", "_")) for key, option in STOP_OPTIONS.items()}
    )


class Watch:
    """Reads the runner's stats every second: emits the status line when due, stops on a condition."""

    def __init__(self, environment: Any) -> None:
        options = environment.parsed_options
        self.environment = environment
        self.rules = stop_rules(options)
        self.interval_s = options.progress_interval
        self.planned_s = float(options.run_time) if options.run_time else None
        self.started = time.monotonic()
        self.last_success = (0, self.started)
        """(successful requests seen, when their count last grew)."""
        self.users = 0
        """Users at the last tick: the last status line, after the users stopped, shows those."""

    def run(self) -> None:
        import gevent

        tick = 0
        next_status = self.interval_s
        while True:
            tick += 1
            gevent.sleep(max(0.0, self.started + tick * CHECK_EVERY_S - time.monotonic()))
            elapsed = time.monotonic() - self.started
            self.users = self.environment.runner.user_count
            condition = self.rules.check(elapsed, self._window(), self._since_success())
            if condition:
                self._stop(elapsed, condition)
                return
            if self.interval_s and elapsed >= next_status:
                logger.info(self.status().line())
                while next_status <= elapsed:
                    next_status += self.interval_s

    def status(self) -> Status:
        runner = self.environment.runner
        total = runner.stats.total
        return Status(
            elapsed_s=time.monotonic() - self.started,
            planned_s=self.planned_s,
            users=runner.user_count or self.users,
            requests=total.num_requests,
            failures=total.num_failures,
            rps=total.current_rps,
            p95_ms=total.get_response_time_percentile(0.95) if total.num_requests else None,
        )

    def _window(self) -> tuple[int, int]:
        """(requests, failures) that ended within the last failure_window_s seconds (Locust's per-second
        counts; on a master they arrive with the workers' reports, both together)."""
        total = self.environment.runner.stats.total
        now = time.time()
        seconds = range(math.ceil(now - self.rules.failure_window_s), math.floor(now) + 1)
        requests = sum(total.num_reqs_per_sec.get(second, 0) for second in seconds)
        failures = sum(total.num_fail_per_sec.get(second, 0) for second in seconds)
        return requests, failures

    def _since_success(self) -> float:
        total = self.environment.runner.stats.total
        succeeded, when = self.last_success
        now = time.monotonic()
        if total.num_requests - total.num_failures > succeeded:
            self.last_success = (total.num_requests - total.num_failures, now)
            return 0.0
        return now - when

    def _stop(self, elapsed: float, condition: str) -> None:
        import gevent

        from loadtest.exitcodes import ExitCode

        logger.error(stop_message(elapsed, condition))
        self.environment.process_exit_code = ExitCode.FAILED
        runner = self.environment.runner
        # Headless, the run ends and Locust writes its reports; in the web UI the test stops, the UI stays.
        gevent.spawn(runner.quit if self.environment.parsed_options.headless else runner.stop)


_watching: dict[int, tuple[Watch, Any]] = {}
"""The watch of each environment (one per process in practice) and its greenlet."""


def start_watch(environment: Any) -> None:
    """At the start of a test on a local runner or a master: the watch, in a greenlet of its own."""
    import gevent

    end_watch(environment, final=False)
    watch = Watch(environment)
    _watching[id(environment)] = (watch, gevent.spawn(watch.run))


def end_watch(environment: Any, *, final: bool = True) -> None:
    """At the end of a test: stop the watch and say where the run ended (one last status line)."""
    watch, greenlet = _watching.pop(id(environment), (None, None))
    if greenlet is None:
        return
    greenlet.kill(block=False)
    if final and watch.interval_s:
        logger.info(watch.status().line())
