"""Start the stand-in API as a subprocess, for tests: ``with running_django_api(KEY) as base_url: ...``."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.conftest import ROOT

LISTENING = re.compile(r"^django-api listening on (http://127\.0\.0\.1:\d+)$")


@contextmanager
def running_django_api(
    api_key: str,
    access_lifetime: float = 300,
    *,
    port: int = 0,
    startup_timeout: float = 60,
) -> Iterator[str]:
    """Run ``python -m tests.django_api.serve`` until the block ends; yields its base URL.

    The database lives in a temporary folder made and removed here, so it goes even if the server
    has to be killed. last_startup_seconds() tells how long the start (migrations included) took.
    """
    db_dir = tempfile.mkdtemp(prefix="django-api-db-")
    # The key goes through the environment, not argv, so it never shows in a process listing.
    env = {**os.environ, "LOADTEST_API_KEY": api_key}
    command = [sys.executable, "-m", "tests.django_api.serve", "--port", str(port)]
    command += ["--access-lifetime", repr(float(access_lifetime)), "--db-dir", db_dir]
    # stderr to a file, not a pipe: nobody reads it while the server runs, and a full pipe would block it.
    with tempfile.TemporaryFile() as stderr:
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr
        )
        try:
            base_url = _wait_until_listening(process, stderr, startup_timeout)
            _startup_seconds.append(time.monotonic() - started)
            yield base_url
        finally:
            _stop(process)
            shutil.rmtree(db_dir, ignore_errors=True)


_startup_seconds: list[float] = []


def last_startup_seconds() -> float | None:
    """Seconds from spawning to the listening line of the last server started here (None: none yet)."""
    return _startup_seconds[-1] if _startup_seconds else None


def _wait_until_listening(process: subprocess.Popen, stderr, timeout: float) -> str:
    lines: queue.Queue[str | None] = queue.Queue()

    def read_stdout() -> None:
        # Keeps draining stdout after the listening line, so the server can never block on it.
        with process.stdout:
            for raw in process.stdout:
                lines.put(raw.decode(errors="replace").rstrip("\r\n"))
        lines.put(None)

    threading.Thread(target=read_stdout, daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"django-api did not start within {timeout} s{_tail(stderr)}") from None
        if line is None:
            process.wait()
            raise RuntimeError(f"django-api exited with {process.returncode} before listening{_tail(stderr)}")
        if match := LISTENING.match(line):
            return match.group(1)


def _tail(stderr) -> str:
    stderr.flush()
    stderr.seek(0)
    text = stderr.read().decode(errors="replace").strip()
    return f"; its stderr ends:\n{text[-3000:]}" if text else ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
