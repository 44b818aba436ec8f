"""Shared by every tier: the repository root, the one way to run a command, the PostgreSQL server.

What starts other servers (the sandbox fixtures, the fake GitHub) is in tests/integration/conftest.py.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests import parallel
from tools.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the workflows, the README, tools/."""
GATE_FIXTURES = ROOT / "tests" / "fixtures" / "gate"
"""Results bundles, thresholds and expected summaries the gate's tests read."""


def fixture_bundle_with(tmp_path: Path, name: str, **facts) -> Path:
    """A copy of the fixture bundle ``name`` in ``tmp_path``, its run.json changed by ``facts``."""
    target = tmp_path / name
    shutil.copytree(GATE_FIXTURES / name, target)
    run = json.loads((target / "run.json").read_text())
    (target / "run.json").write_text(json.dumps(run | facts))
    return target


def child_environ(changes: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a command a test starts: this one without GITHUB_* and ACT (a command must not
    believe it runs in a workflow unless the test says so), with ``changes`` on top; None removes a name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "ACT"}
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_command(
    *command: str | Path,
    env: Mapping[str, str | None] | None = None,
    inherit_env: bool = True,
    timeout: float = 180,
    cwd: Path = ROOT,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd`` (the repository root), capturing its text output; any exit code returns.

    Its environment is ``child_environ(env)``; with ``inherit_env=False``, ``env`` alone. ``timeout``
    only guards against a hang: no test depends on how long a command takes.
    """
    environ = child_environ(env) if inherit_env else {k: v for k, v in (env or {}).items() if v is not None}
    argv = [str(part) for part in command]
    return subprocess.run(
        argv, cwd=cwd, env=environ, input=input, capture_output=True, text=True, timeout=timeout
    )


def run_loadtest(command: str, *args: str | Path, **options) -> subprocess.CompletedProcess[str]:
    """``python -m loadtest COMMAND ARGS``, the action's ``loadtest COMMAND`` with this interpreter;
    ``options`` are those of ``run_command``."""
    return run_command(sys.executable, "-m", "loadtest", command, *args, **options)


def run_tools(command: str, *args: str | Path, **options) -> subprocess.CompletedProcess[str]:
    """``python -m tools COMMAND ARGS`` from the repository root (the research tools, tools/)."""
    return run_command(sys.executable, "-m", "tools", command, *args, **options)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of this test process (under xdist: one per worker), for the example API's
    databases; stopped when the session ends, however it ends (tools/postgres.py)."""
    with PostgresCluster.started() as cluster:
        yield cluster


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: called under -n only
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    return parallel.make_scheduler(config, log)


@pytest.hookimpl(wrapper=True, tryfirst=True)  # around pytest-timeout's clock: waiting is not the test
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    path = parallel.lock_path(item.config)
    if path is None:
        return (yield)
    with parallel.turn(path, alone=item.get_closest_marker(parallel.ALONE) is not None):
        return (yield)
