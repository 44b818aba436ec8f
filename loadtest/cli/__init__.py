"""The command lines, one module per command, each with ``main(argv=None) -> int``.

One way in: ``loadtest COMMAND ...`` (the console command pyproject.toml installs) or
``python -m loadtest COMMAND ...`` where the virtual environment's bin is not on PATH. The two names
the README's first hour promises stay as three-line shims onto the same ``main``::

    loadtest run --preset smoke          python scripts/run_tests.py --preset smoke
    loadtest compare results/current     python scripts/compare.py results/current

A command's module is imported only when it runs, so ``plan`` needs nothing but the standard
library (``python3 -m loadtest plan`` before anything is installed). Exit codes are
loadtest.exitcodes.ExitCode; each command's ``--help`` says what they mean.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping, Sequence

from loadtest.exitcodes import ExitCode
from loadtest.github.actions import StepOutputError

COMMANDS = {
    "run": "run the load test: a preset or a custom run, headless, or Locust's web UI",
    "compare": "the gate: judge a run against thresholds.json and a baseline",
    "record-baseline": "record a passing run as the next baseline, with its rolling history",
    "history": "export or import a baseline's long history (long-history.json)",
    "changes": "change points over a baseline's long history: which endpoint changed, when, which commits",
    "plan": "decide what a workflow run or the action does: mode, preset, time limit, baselines, comment",
    "sandbox": "the stand-in API, with fault injection",
    "fetch-baseline": "fetch the newest baseline bundle of a preset from the default branch",
    "fetch-comment": "fetch a run's comment artifact, for the comment workflow",
    "post-comment": "post or update the sticky load-test comment on a pull request",
    "write-comment-artifact": "write the comment artifact a pull-request run uploads",
    "checkout-base": "check the pull request's base commit out beside the head, for a run against its base",
    "venv": "make the action's own virtual environment, with the pinned uv (before anything is installed)",
}


def usage(prog: str = "loadtest", commands: Mapping[str, str] = COMMANDS) -> str:
    width = max(map(len, commands))
    lines = [f"usage: {prog} COMMAND [options]   ({prog} COMMAND --help for its options)", "", "commands:"]
    lines += [f"  {name:<{width}}  {what}" for name, what in commands.items()]
    return "\n".join(lines)


def dispatch(prog: str, package: str, commands: Mapping[str, str], argv: Sequence[str] | None) -> int:
    """Run ``package``'s module for the command ``argv[0]`` (``-`` read as ``_``) with the rest.

    The research tools (tools.cli) dispatch their commands the same way, under their own ``prog``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage(prog, commands), file=sys.stdout if args else sys.stderr)
        return ExitCode.OK if args else ExitCode.USAGE
    name, rest = args[0], args[1:]
    if name not in commands:
        print(
            f"{prog}: error: unknown command {name!r}; choose one of: {', '.join(commands)}",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    command = importlib.import_module(f"{package}.{name.replace('-', '_')}")
    try:
        return command.main(rest)
    except StepOutputError as exc:
        # Every command that sets step outputs writes them last: what it wrote before stays.
        print(f"{prog} {name}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch("loadtest", "loadtest.cli", COMMANDS, argv)
