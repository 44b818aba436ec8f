"""SIGINT and SIGTERM during a run: recorded, never passed; the first stops it gracefully, the next at once.

While ``interruptible()`` holds (the runner's main thread), Locust and the stand-in run in sessions
of their own, so a terminal's Ctrl-C, or a signal to the runner's process group, reaches the runner
alone, which then stops the others in order:

* the first SIGINT or SIGTERM is recorded (run.json: ``interrupted``, ``signal``); a running Locust
  gets SIGINT, as if Ctrl-C had been pressed in its own terminal: it stops its users and workers and
  writes its reports (its SIGTERM handler would skip the HTML report). Before Locust starts, the run
  does not start; after it ended, the run stands;
* a second signal kills Locust's process group (its --processes workers with it) at once, or, with
  no Locust running, raises Interrupted;
* if Locust has not stopped GRACE_S after the first signal, its group is killed too.

Either way the runner goes on to stop the stand-in it started and write run.json: no process is
left behind. Off the main thread (the calibration's parallel runs) nothing changes: signals cannot be
caught there, so Locust and the stand-in stay in the caller's process group and get its Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_S = 30.0
"""How long an interrupted Locust may take to stop and write its reports before it is killed."""


class Interrupted(BaseException):
    """A second signal while nothing could be stopped gracefully: stop at once (like KeyboardInterrupt)."""


class Interruption:
    """The signals a run received, and what to do with the next one."""

    def __init__(self, *, active: bool) -> None:
        self.active = active
        """Whether the signals are caught here (main thread): then children get sessions of their own."""
        self.signal: str | None = None
        """The first signal's name (``SIGINT``, ``SIGTERM``), or None."""
        self._locust: subprocess.Popen | None = None
        self._grace: threading.Timer | None = None

    @property
    def interrupted(self) -> bool:
        return self.signal is not None

    @contextmanager
    def forwarding_to(self, locust: subprocess.Popen) -> Iterator[None]:
        """While Locust runs: signals stop it (gracefully, then at once); one that came while it was
        being started stops it now."""
        self._locust = locust
        if self.interrupted:
            self._stop_gracefully(locust)
        try:
            yield
        finally:
            self._locust = None
            if self._grace:
                self._grace.cancel()

    def _received(self, signum: int, _frame: object) -> None:
        first = self.signal is None
        if first:
            self.signal = signal.Signals(signum).name
        locust = self._locust
        if locust is None or locust.poll() is not None:
            if not first:
                raise Interrupted(self.signal)
            _say(f"run_tests: {self.signal}: stopping; a second one stops at once\n")
        elif first:
            self._stop_gracefully(locust)
        else:
            kill_group(locust)

    def _stop_gracefully(self, locust: subprocess.Popen) -> None:
        """SIGINT, as a Ctrl-C in Locust's own terminal would send; its group is killed past GRACE_S."""
        _say(f"run_tests: {self.signal}: stopping Locust (it writes its reports); a second one kills it\n")
        os.kill(locust.pid, signal.SIGINT)
        self._grace = threading.Timer(GRACE_S, kill_group, args=(locust,))
        self._grace.start()


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL to ``proc``'s process group if it leads one (Locust and the workers it forked), else to it."""
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except ProcessLookupError:
        pass  # it ended meanwhile


@contextmanager
def interruptible() -> Iterator[Interruption]:
    """Catch SIGINT and SIGTERM for the block (when on the main thread), as an Interruption."""
    if threading.current_thread() is not threading.main_thread():
        yield Interruption(active=False)
        return
    interruption = Interruption(active=True)
    previous = {sig: signal.signal(sig, interruption._received) for sig in SIGNALS}
    try:
        yield interruption
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _say(message: str) -> None:
    # os.write, not print: a handler may run while the main thread is inside a print of its own.
    os.write(2, message.encode())
