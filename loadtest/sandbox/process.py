"""Start a server module as a child process and learn its URL from its ``... listening on URL`` line.

A child process, not a thread: the sandbox must never compete with Locust for the GIL.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

_LISTENING = re.compile(rb"listening on (http://\S+)")


class SandboxError(RuntimeError):
    """The server process could not be started; the message carries the reason and its stderr."""


@dataclass
class ServerProcess:
    """A running server child process and the base URL it listens on."""

    proc: subprocess.Popen
    url: str
    stderr: IO[bytes] = field(repr=False)
    logged: str = ""
    """What the child wrote to stderr, once stopped."""

    def stop(self, grace_s: float = 5.0) -> int:
        """SIGTERM, then SIGKILL after ``grace_s``; returns the exit code and keeps stderr in ``logged``."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        if not self.stderr.closed:
            self.stderr.seek(0)
            self.logged = self.stderr.read().decode(errors="replace")
            self.stderr.close()
        return self.proc.returncode


def start_server(
    module: str,
    args: Sequence[str],
    *,
    wrapper: Sequence[str] = (),
    timeout_s: float = 20.0,
    env: Mapping[str, str] | None = None,
    new_session: bool = False,
) -> ServerProcess:
    """Run ``[*wrapper, python, -m, module, *args]`` with ``env`` added; wait for its listening line.

    ``new_session``: in a session of its own, so that a terminal's Ctrl-C reaches only the caller, who
    stops the server when it is done with it."""
    env = {**os.environ, **(env or {})}
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child, closed by stop()
    command = [*wrapper, sys.executable, "-m", module, *args]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=new_session,
    )
    server = ServerProcess(proc, "", stderr)
    try:
        server.url = _wait_for_url(proc, timeout_s)
    except SandboxError as exc:
        server.stop()
        detail = server.logged.strip()
        raise SandboxError(f"{' '.join(command)}: {exc}" + (f"\n{detail}" if detail else "")) from None
    except BaseException:  # interrupted while it starts: it must not outlive the caller
        server.stop()
        raise
    return server


def _wait_for_url(proc: subprocess.Popen, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    fd = proc.stdout.fileno()
    seen = b""
    while b"\n" not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise SandboxError(f"no listening line within {timeout_s:g} s")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise SandboxError(f"exited with code {proc.wait()} before listening")
            seen += chunk
    match = _LISTENING.search(seen)
    if not match:
        raise SandboxError(f"unexpected first line {seen.splitlines()[0]!r}")
    return match.group(1).decode()
