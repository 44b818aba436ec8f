"""Every entry point runs from a shell: ``loadtest NAME --help``, ``python -m tools NAME --help`` and the
two shims the README promises, ``python scripts/run_tests.py`` and ``python scripts/compare.py``.

One subprocess each; what the commands do is tested through their ``main`` (tests/unit/test_commands.py
and one file per command).
"""

import os
import sys

import pytest

from loadtest import cli
from tests.conftest import ROOT, run_command, run_tools
from tools import cli as tools_cli

pytestmark = pytest.mark.slow

SCRIPTS = sorted(path.name for path in (ROOT / "scripts").glob("*.py"))


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_the_console_command_runs_every_command(name):
    proc = run_command("loadtest", name, "--help", timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: loadtest {name} ")
    assert "exit codes:" in proc.stdout.lower()  # the sandbox's argparse help says it in lower case


@pytest.mark.parametrize("name", tools_cli.COMMANDS)
def test_the_research_commands_run_from_the_repository_root(name):
    proc = run_tools(name, "--help", timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: python -m tools {name} ")


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_runs_from_the_repository_root(script):
    proc = run_command(sys.executable, ROOT / "scripts" / script, "--help", timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert "Exit codes:" in proc.stdout


def test_the_plan_step_runs_on_a_bare_python_before_anything_is_installed():
    # -S: no site-packages, so neither this package nor its requirements, like the Plan job's python3,
    # which runs `python3 -m loadtest plan` in the checkout.
    env = {"PATH": os.environ["PATH"], "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main"}
    bare = [sys.executable, "-S", "-m", "loadtest", "plan"]
    proc = run_command(*bare, env=env, inherit_env=False, timeout=60)

    assert proc.returncode == 0, proc.stderr
    assert "preset=smoke" in proc.stdout and "record-baseline=true" in proc.stdout
