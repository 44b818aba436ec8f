"""Unit tier: the library and its commands in this process; no process, no server, no socket.

tests/unit/test_tiers.py holds that rule in the source; ``no_processes_or_sockets`` holds it while
the tests run, so a unit test that would start something fails at once instead of hanging.
"""

import os
import socket
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT


@pytest.fixture(autouse=True)
def no_processes_or_sockets(monkeypatch):
    """Starting a process, binding or connecting a socket raises, naming the tier that may."""

    def refuse(what: str) -> Callable[..., None]:
        def refused(*_args, **_kwargs) -> None:
            raise AssertionError(f"a unit test may not {what}: that test belongs in tests/integration")

        return refused

    monkeypatch.setattr(subprocess, "Popen", refuse("start a process"))
    for name in ("system", "fork", "posix_spawn", "posix_spawnp"):
        monkeypatch.setattr(os, name, refuse("start a process"))
    for name in ("bind", "connect", "connect_ex"):
        monkeypatch.setattr(socket.socket, name, refuse("open a socket"))


@dataclass(frozen=True)
class Ran:
    """What a command's ``main`` did, in the shape of ``subprocess.CompletedProcess``."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def call_main(capsys, monkeypatch) -> Callable[..., Ran]:
    """Calls a command's ``main(argv)`` here, as its script runs: from the repository root, with no
    GITHUB_* or ACT but those given in ``env``; gives its exit code and what it printed."""
    monkeypatch.chdir(ROOT)
    for name in [n for n in os.environ if n.startswith("GITHUB_") or n == "ACT"]:
        monkeypatch.delenv(name)

    def call(main: Callable[[Sequence[str]], int], *argv: object, env: dict[str, str] | None = None) -> Ran:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        try:
            code = main([str(arg) for arg in argv])
        except SystemExit as exit_:  # argparse's usage errors and --help
            code = exit_.code
        out, err = capsys.readouterr()
        return Ran(int(code or 0), out, err)

    return call
