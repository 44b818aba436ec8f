"""The Locust process: its command line and environment, starting it, relaying its output, stopping it.

The one place that starts Locust for a run: the runner, the calibration and the benchmarks. A
preset goes to Locust as ``--config FILE``; the command line adds only what the preset does not
say or what the plan changed (Locust lets its command line override its config file).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from loadtest import bundle
from loadtest.exitcodes import ExitCode
from loadtest.presets import parse_duration
from loadtest.run.interrupt import GRACE_S, Interruption, kill_group
from loadtest.run.output import Console, LocustLine
from loadtest.run.plan import LOCUSTFILE, ROOT, RunPlan
from loadtest.run.ports import free_port
from loadtest.run.target import HEAD, Target
from loadtest.settings import Settings
from loadtest.text import masking
from loadtest.user import safety, status
from loadtest.workers import LostWorkerWatch

if TYPE_CHECKING:
    from loadtest.run.server import StartedServer

SHUTDOWN_GRACE_S = 60.0
"""How long past its run time a Locust process may take to stop before it is killed."""
STOP_WAIT_S = 10.0
"""How long a stopped Locust may take to write its reports before it is killed."""
STATUS_EVERY_S = {"terminal": 2.0, "log": 10.0}
"""Seconds between status lines: a live line on a terminal, one line every 10 s in a CI log."""


def locust_command(
    plan: RunPlan, host: str, *, status_every_s: float | None = None, local_master_port: int | None = None
) -> list[str]:
    """``python -m locust ...`` for a headless run of ``plan`` against ``host``.

    ``status_every_s`` sets the interval of loadtest.user.status's status lines (the locustfile's options,
    like thresholds.json's stop conditions, go only to our own locustfile). ``local_master_port``: the
    loopback port the workers Locust forks (--processes) meet their master on."""
    cmd = [sys.executable, "-m", "locust"]
    cmd += ["--config", str(plan.config.path)] if plan.config else []
    cmd += ["-f", _locustfiles(plan)]
    cmd += [*plan.user_classes, "--host", host, *_shape_flags(plan)]
    if plan.out:
        prefix = str(bundle.csv_prefix(plan.out))
        cmd += ["--csv", prefix, "--json-file", prefix, "--html", str(plan.out / bundle.HTML_REPORT)]
    cmd.append("--only-summary")
    if plan.expect_workers:
        cmd += ["--master", "--expect-workers", str(plan.expect_workers)]
        cmd += ["--expect-workers-max-wait", f"{plan.expect_workers_max_wait_s:g}"]
        cmd += ["--master-bind-host", plan.master_bind_host, "--master-bind-port", str(plan.master_bind_port)]
    # A preset may say ``processes = N``; the plan has the last word (and --master forbids forking).
    processes = plan.workers if plan.workers > 1 and not plan.expect_workers else 0
    if processes != int(_preset_says(plan).get("processes", "0")):
        cmd += ["--processes", str(processes)]
    if processes and local_master_port:
        # A port of this run's own: Locust's default, 5557 on every interface, is shared by every run on
        # the machine, and the workers of a second run would join the first run's master.
        port = str(local_master_port)
        cmd += ["--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--master-port", port]
    if plan.tags:
        cmd += ["--tags", *plan.tags]
    if plan.exclude_tags:
        cmd += ["--exclude-tags", *plan.exclude_tags]
    if plan.seed is not None:
        cmd += ["--seed", str(plan.seed)]
    if plan.allow_production_load:
        cmd += [safety.ALLOW_FLAG]
    if plan.locustfile == LOCUSTFILE:
        if plan.base:
            cmd += ["--base-host", plan.base.host, "--ab-design", plan.base.design]
            cmd += ["--ab-block-s", f"{plan.base.block_s:g}"]
        if status_every_s is not None:
            cmd += ["--progress-interval", f"{status_every_s:g}"]
        cmd += status.stop_flags(plan.stop)
    return cmd


def _locustfiles(plan: RunPlan) -> str:
    """Locust's ``-f``: always given, so that a preset's ``locustfile = locustfile.py`` is the plan's
    (this package's, wherever it is installed); the preset's other files (the spike's shape) follow,
    relative to ROOT as Locust would read them there."""
    named = [name.strip() for name in _preset_says(plan).get("locustfile", "").split(",")]
    others = [str(ROOT / name) for name in named if name and name != "locustfile.py"]
    return ",".join([str(plan.locustfile), *others])


def _preset_says(plan: RunPlan) -> Mapping[str, str]:
    return plan.config.settings if plan.config else {}


def _shape_flags(plan: RunPlan) -> list[str]:
    """The load shape's flags, less those the preset file already gives Locust with the same value."""
    wanted = {
        "headless": "true",
        "users": str(plan.users),
        "spawn-rate": f"{plan.spawn_rate:g}",
        "run-time": f"{int(plan.run_time_s)}s",
    }
    if plan.wait_s is not None:
        wanted |= {"wait-min": f"{plan.wait_s[0]:g}", "wait-max": f"{plan.wait_s[1]:g}"}
    if plan.stop_timeout_s is not None:
        wanted["stop-timeout"] = f"{plan.stop_timeout_s:g}"
    said = _preset_says(plan)
    flags: list[str] = []
    for key, value in wanted.items():
        if key in said and _same(key, said[key], value):
            continue
        flags += [f"--{key}"] if key == "headless" else [f"--{key}", value]
    return flags


def _same(key: str, preset_value: str, value: str) -> bool:
    if key == "headless":
        return preset_value.strip().lower() == value
    if key == "run-time":
        return parse_duration(preset_value) == parse_duration(value)
    try:
        return float(preset_value) == float(value)
    except ValueError:
        return False


def web_ui_command(host: str) -> list[str]:
    """Locust's web UI on loopback against ``host``."""
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", host, "--web-host", "127.0.0.1"]


def locust_environ(api_key: str, *, own_settings: bool = True) -> dict[str, str]:
    """Locust's environment: ours (without our LOADTEST_* settings unless ``own_settings``), with the
    run's API key (the stand-in's own, when it runs one)."""
    env = dict(os.environ) if own_settings else Settings.without_settings(os.environ)
    return {**env, "PYTHONUNBUFFERED": "1", **Settings.environ_for_locust(api_key=api_key)}


def start_locust(
    plan: RunPlan,
    target: Target,
    *,
    stdout: int | IO[str] = subprocess.PIPE,
    wrapper: Sequence[str] = (),
    own_settings: bool = True,
    new_session: bool = False,
    status_every_s: float | None = None,
) -> subprocess.Popen:
    """Start Locust for ``plan`` against ``target``, output and errors together on ``stdout``.

    ``wrapper`` prefixes the command (``taskset -c 1``); ``new_session`` puts Locust and the workers
    it forks in a session of their own, so ``stop`` can kill them all and a terminal's Ctrl-C does not
    reach them (the runner stops them, loadtest.run.interrupt).
    """
    forks = plan.workers > 1 and not plan.expect_workers
    command = locust_command(
        plan, target.url, status_every_s=status_every_s, local_master_port=free_port() if forks else None
    )
    return subprocess.Popen(
        [*wrapper, *command],
        cwd=ROOT,
        env=locust_environ(target.api_key, own_settings=own_settings),
        stdout=stdout,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=new_session,
    )


@dataclass
class LocustOutcome:
    """How a Locust run ended, as the runner records it in run.json."""

    exit_code: int
    duration_s: float
    lost_workers: LostWorkerWatch
    stopped: tuple[float, str] | None = None
    """(seconds into the run, the condition) when a stop condition ended it (loadtest.user.status)."""
    started_at: float = 0.0
    """time.monotonic() when Locust was started."""


def run_locust(
    plan: RunPlan,
    target: Target,
    interruption: Interruption,
    *,
    echo: bool = True,
    base: Target | None = None,
) -> LocustOutcome:
    """Run Locust headless into the plan's bundle; how it ended.

    Its output goes to locust.log (and what a person watches to the console with ``echo``), secrets
    masked; it is stopped SHUTDOWN_GRACE_S after its run time (and the wait for remote workers), when
    ``interruption`` catches a signal, and when the started API of either side (``base``: the
    base's target of a run of a base against a head) ends."""
    assert plan.out is not None, "a run into a bundle needs the plan's out folder"
    deadline = plan.run_time_s + SHUTDOWN_GRACE_S
    if plan.expect_workers:
        deadline += plan.expect_workers_max_wait_s
    live = echo and sys.stdout.isatty()
    console = Console(sys.stdout, live=live) if echo else None
    every = STATUS_EVERY_S["terminal" if live else "log"]
    outcome = LocustOutcome(exit_code=0, duration_s=0.0, lost_workers=LostWorkerWatch())
    outcome.started_at = started = time.monotonic()
    with open(plan.out / bundle.LOCUST_LOG, "w", encoding="utf-8") as log:
        proc = start_locust(plan, target, new_session=interruption.active, status_every_s=every)
        masking.RUN.add(*plan.settings.secrets(), target.api_key)
        with interruption.forwarding_to(proc), _stopped_if_server_ends((target, base), proc):
            outcome.exit_code = relay(
                proc, log, masking.RUN, deadline, console=console, watch=_recorder(outcome, interruption)
            )
    outcome.duration_s = round(time.monotonic() - started, 1)
    mask_bundle(plan.out)
    return outcome


@contextmanager
def _stopped_if_server_ends(targets: Sequence[Target | None], locust: subprocess.Popen) -> Iterator[None]:
    """While Locust runs against started APIs (the head's, and a base's beside it): if one ends, the
    load ends too (it would only count connection errors), gracefully, so that Locust writes its
    reports; killed past GRACE_S."""
    servers = [t.server for t in targets if t is not None and t.server is not None]
    grace: list[threading.Timer] = []
    lock = threading.Lock()

    def stopper(server: StartedServer) -> Callable[[], None]:
        def stop_locust() -> None:
            with lock:  # both sides may end at once: one SIGINT, one timer
                if locust.poll() is not None or grace:
                    return
                print(
                    f"run_tests: the API server{_side_label(server)} ended ({server.describe_exit()}): "
                    "stopping the load",
                    file=sys.stderr,
                )
                os.kill(locust.pid, signal.SIGINT)
                grace.append(threading.Timer(GRACE_S, kill_group, args=(locust,)))
                grace[0].start()

        return stop_locust

    for server in servers:
        server.on_exit(stopper(server))
    try:
        yield
    finally:
        for server in servers:
            server.on_exit(None)
        for timer in grace:
            timer.cancel()


def _side_label(server: StartedServer) -> str:
    """`` of the base`` for the base's API; nothing for the head's, the run's one API until a base."""
    return f" of the {server.side}" if server.side != HEAD else ""


def mask_bundle(out: Path) -> None:
    """Mask the files Locust wrote: its failure messages were masked as it recorded them, but an
    exception's text or a message of another locustfile was not, and the runner knows the secrets too."""
    masking.RUN.mask_files(out / name for name in bundle.LOCUST_FILES)


def _recorder(outcome: LocustOutcome, interruption: Interruption) -> Callable[[LocustLine], None]:
    """What the runner keeps of each line: the workers lost while the run went on, and a stop."""

    def record(line: LocustLine) -> None:
        if line.level == "ERROR" and (stopped := status.parse_stop(line.logger, line.message)):
            outcome.stopped = stopped
        # Workers quit when a run is stopped or interrupted: that is no loss.
        if outcome.stopped or interruption.interrupted:
            outcome.lost_workers.end()
        outcome.lost_workers.observe(line.text)

    return record


def relay(
    proc: subprocess.Popen,
    log: IO[str],
    masker: masking.Masker,
    deadline_s: float,
    *,
    console: Console | None = None,
    watch: Callable[[LocustLine], None] = lambda line: None,
) -> int:
    """Copy Locust's output to ``log`` (and what the console shows of it), masking secrets; stop it past
    the deadline. ``watch`` sees every masked line (the runner's records read the master's log)."""
    timer = threading.Timer(deadline_s, _overran, args=(proc,))
    timer.start()
    try:
        for text in proc.stdout:
            text = masker.mask(text)
            log.write(text)
            log.flush()  # a tail of locust.log follows the run as it goes
            line = LocustLine.parse(text)
            if console:
                console.show(line)
            watch(line)
        return proc.wait()
    finally:
        timer.cancel()
        if console:
            console.close()


def _overran(proc: subprocess.Popen) -> None:
    print(
        f"run_tests: Locust did not stop {SHUTDOWN_GRACE_S:.0f}s after its run time; stopping it",
        file=sys.stderr,
    )
    stop(proc)


def stop(proc: subprocess.Popen, *, wait_s: float = STOP_WAIT_S) -> None:
    """SIGTERM (Locust stops its workers), then SIGKILL, to its whole session if it has its own."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        proc.wait()


def call_locust(command: Sequence[str], env: Mapping[str, str]) -> int:
    """Run an interactive Locust (the web UI, a worker) until it ends; Ctrl+C is a normal end."""
    try:
        return subprocess.call(list(command), cwd=ROOT, env=dict(env))
    except KeyboardInterrupt:
        return ExitCode.OK
