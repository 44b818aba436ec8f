"""The API under test started from a checkout on the runner: setup, start, readiness, stop.

``StartedServer`` runs the caller's ``setup`` command once to completion, then its ``start`` command
in a process group of its own with ``PORT`` (a free loopback port), ``LOADTEST_SIDE`` and the run's
API key (``LOADTEST_API_KEY``) in its environment, and waits until the ready path answers below 500.
Their output goes to the side's log in the bundle (``server.log`` for the head), secrets masked. On
every way out of the ``with`` block the group gets SIGTERM, then SIGKILL STOP_GRACE_S later: no
process of the server outlives the run.

A side (``head``; a paired run adds ``base``) is one StartedServer of its own: the caller's commands
pick their database by LOADTEST_SIDE.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

import psutil
import requests

from loadtest.exitcodes import ExitCode
from loadtest.run.plan import RunError, ServerCommands
from loadtest.run.ports import free_port
from loadtest.settings import Settings
from loadtest.text import masking
from loadtest.text.untrusted import console_text

STOP_GRACE_S = 10.0
"""How long the server's group has between SIGTERM and SIGKILL."""
TAIL_LINES = 20
"""Lines of a failed command's output shown in its error."""
_POLL_S = 0.2
"""Between two readiness requests, and between two looks at a running setup: a server that exits is
noticed well within a second."""
_ATTEMPT_TIMEOUT_S = 2.0


class StartedServer:
    """A context manager: the API started for one side of a run; ``url`` once entered.

    ``stopping`` says whether the runner was interrupted (then setup and the wait for readiness end
    at once); ``secrets`` are masked in the log."""

    def __init__(
        self,
        commands: ServerCommands,
        *,
        side: str,
        api_key: str,
        log_path: Path,
        secrets: tuple[str, ...] = (),
        stopping: Callable[[], bool] = lambda: False,
        say: Callable[[str], None] = print,
    ) -> None:
        self.commands = commands
        self.side = side
        self.api_key = api_key
        self.log_path = log_path
        self._masker = masking.Masker(secrets)
        self.stopping = stopping
        self.say = say
        self.url = ""
        self.exit_code: int | None = None
        """The server's exit status once it ended (negative: killed by that signal)."""
        self.exited_at: float | None = None
        """time.monotonic() when it ended, whoever ended it."""
        self._proc: subprocess.Popen | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._log: IO[str] | None = None
        self._lock = threading.Lock()
        """Guards what the watching and relaying threads share with the runner's: the exit, the log."""
        self._on_exit: Callable[[], None] | None = None
        self._exited = threading.Event()
        self._relay: threading.Thread | None = None

    def __enter__(self) -> StartedServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w", encoding="utf-8")  # noqa: SIM115 - closed by __exit__
        try:
            if self.commands.setup:
                self._run_setup()
            self._start()
            self._wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._on_exit = None
        if self._proc is not None:
            stop_group(self._proc)
            if self._relay is not None:
                self._relay.join(timeout=STOP_GRACE_S)
        if self._log is not None:
            with self._lock:  # a relay still reading (a grandchild holds the output open) stops writing
                self._log.close()

    def on_exit(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` (from another thread) when the server ends; at once if it already has."""
        with self._lock:
            self._on_exit = callback
            ended = self._exited.is_set()
        if ended and callback:
            callback()

    @property
    def exited(self) -> bool:
        return self._exited.is_set()

    def describe_exit(self) -> str:
        """``exit status 7`` or ``killed by SIGKILL``."""
        code = self.exit_code
        if code is not None and code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exit status {code}"

    def show_tail(self) -> str:
        """Print the last TAIL_LINES lines of the server's (or the setup's) output on stderr, secrets
        masked, each made inert (the pull request wrote the server); a reference to them for an error."""
        with self._lock:
            lines = list(self._tail)
        print(f"run_tests: the last {len(lines)} lines of {self.log_path}:", file=sys.stderr)
        for line in lines:
            print("  | " + console_text(line.rstrip("\n")), file=sys.stderr)
        sys.stderr.flush()
        return f"its last lines are above, all of it in {self.log_path}"

    # --- setup ---------------------------------------------------------------

    def _run_setup(self) -> None:
        self.say(f"run_tests: setup ({self.side}): {self._masked(self.commands.setup)}")
        self._write(f"--- setup: {self.commands.setup}\n")
        started = time.monotonic()
        proc = self._spawn(self.commands.setup, {})
        relay = self._relay_output(proc)
        try:
            while proc.poll() is None:
                if self.stopping():
                    raise RunError("interrupted during the setup: nothing was run", ExitCode.INCOMPLETE)
                time.sleep(_POLL_S)
        except BaseException:
            stop_group(proc)  # only a setup cut short: what a finished one left running is its own
            raise
        # A daemon it started (a database) may hold its output open: do not wait for that.
        relay.join(timeout=1.0)
        if proc.returncode != 0:
            raise RunError(
                f"the setup command failed with exit status {proc.returncode} in {self.commands.directory}; "
                + self.show_tail(),
                ExitCode.NOT_MEASURED,
            )
        self.say(f"run_tests: setup ({self.side}) done in {time.monotonic() - started:.1f} s")
        with self._lock:
            self._tail.clear()

    # --- start and readiness ---------------------------------------------------

    def _start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._write(f"--- start: {self.commands.start}\n")
        self._proc = self._spawn(self.commands.start, {"PORT": str(port)})
        self._relay = self._relay_output(self._proc)
        threading.Thread(target=self._watch, args=(self._proc,), daemon=True).start()

    def _wait_until_ready(self) -> None:
        """Until the ready path answers below 500; RunError when the server exits, the timeout
        passes or the runner is interrupted."""
        started = time.monotonic()
        deadline = started + self.commands.ready_timeout_s
        url = self.url + self.commands.ready_path
        while True:
            if self.stopping():
                raise RunError("interrupted before the API was ready: nothing was run", ExitCode.INCOMPLETE)
            if self._exited.is_set():
                raise RunError(self._ended_before_ready(), ExitCode.NOT_MEASURED)
            if _answers(url, min(_ATTEMPT_TIMEOUT_S, max(deadline - time.monotonic(), 0.1))):
                break
            if time.monotonic() >= deadline:
                raise RunError(
                    f"the API did not answer {self.commands.ready_path} below 500 within "
                    f"{self.commands.ready_timeout_s:g} s (--ready-timeout); " + self.show_tail(),
                    ExitCode.NOT_MEASURED,
                )
            self._exited.wait(_POLL_S)
        self.say(
            f"run_tests: the API ({self.side}) started from {self.commands.directory} answers at {self.url} "
            f"after {time.monotonic() - started:.1f} s"
        )

    def _ended_before_ready(self) -> str:
        if self._relay is not None:
            self._relay.join(timeout=1.0)  # the last lines it printed
        return f"the API server ended before it was ready ({self.describe_exit()}); " + self.show_tail()

    def _watch(self, proc: subprocess.Popen) -> None:
        code = proc.wait()
        with self._lock:
            self.exit_code, self.exited_at = code, time.monotonic()
            self._exited.set()
            callback = self._on_exit
        if callback:
            callback()

    # --- processes and output ----------------------------------------------------

    def _spawn(self, command: str, extra: dict[str, str]) -> subprocess.Popen:
        # A session of its own: its whole group can be stopped, and a terminal's Ctrl-C reaches only
        # the runner, which stops it in order.
        return subprocess.Popen(
            command,
            shell=True,
            cwd=self.commands.directory,
            env={**os.environ, **Settings.environ_for_server(side=self.side, api_key=self.api_key), **extra},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )

    def _relay_output(self, proc: subprocess.Popen) -> threading.Thread:
        def relay() -> None:
            for line in proc.stdout:
                self._write(line)
            proc.stdout.close()

        thread = threading.Thread(target=relay, daemon=True)
        thread.start()
        return thread

    def _write(self, text: str) -> None:
        text = self._masked(text)
        with self._lock:
            self._tail.append(text)
            if self._log is not None and not self._log.closed:
                self._log.write(text)
                self._log.flush()

    def _masked(self, text: str) -> str:
        return self._masker.mask(text)


def _answers(url: str, timeout_s: float) -> bool:
    """Whether ``url`` answers with a status below 500 (a redirect, a 403 without the key count)."""
    try:
        response = requests.get(url, timeout=timeout_s, allow_redirects=False)
    except requests.RequestException:
        return False
    response.close()
    return response.status_code < 500


def stop_group(proc: subprocess.Popen, grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM to ``proc``'s process group (it leads one), SIGKILL to what is left ``grace_s`` later."""
    pgid = proc.pid
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    try:
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:  # a second Ctrl-C in the wait must not leave the group running
        if group_alive(pgid):
            _signal_group(pgid, signal.SIGKILL)
        proc.wait()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # the group has ended
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    """Whether a live (not zombie) process is in group ``pgid``: an orphan's zombie lingers where
    PID 1 does not reap (a container's), so a signal to the group alone would say yes."""
    return bool(group_members(pgid))


def group_members(pgid: int) -> list[int]:
    """The live processes of group ``pgid`` (psutil, a dependency of Locust's)."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process.pid)
        except (OSError, psutil.Error):
            continue  # it ended meanwhile
    return members
