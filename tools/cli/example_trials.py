"""``python -m tools example-trials``: a pull request's check on the example API, many times over.

    python -m tools example-trials [-T 20] [--preset smoke] [--seed 1] [--out DIR] [--thresholds FILE]
                                   [--judge-only]

Starts its own PostgreSQL server (Debian's postgresql, in a temporary folder) and, per trial, the
example API's base and head with gunicorn on loopback, as the action's compare-base does; stops all of
them on every ending. The example's requirements must be installed here (requirements-dev.txt does).
See tools/calibration/example_trials.py for what a trial is and how it is counted.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, positive_int
from loadtest.exitcodes import ExitCode
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS
from tools.calibration import example_trials
from tools.postgres import PostgresError

EXIT_CODES_HELP = """\
Exit codes:
  0  measured (the report says how the checks came out)
  2  could not run (bad arguments, PostgreSQL or git failed)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "python -m tools example-trials",
        "A/A and N+1 trials of a pull request's check (base against head) on the example API.",
        EXIT_CODES_HELP,
    )
    parser.add_argument("-T", type=positive_int, default=20, help="A/A trials, and N+1 trials (default 20)")
    parser.add_argument("--preset", default="smoke", help="preset of each check (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="fake-data seed of the first trial (default 1)")
    parser.add_argument(
        "--out", type=Path, default=Path("results") / "example-trials", help="folder for the runs"
    )
    parser.add_argument(
        "--thresholds",
        type=Path,
        default=DEFAULT_THRESHOLDS,
        help="thresholds file (default: thresholds.json)",
    )
    parser.add_argument("--judge-only", action="store_true", help="judge the trials already in --out again")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # A SIGTERM unwinds like an exception, so the PostgreSQL server and its folder go as on any ending.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(ExitCode.INCOMPLETE))
    settings = example_trials.TrialSettings(
        trials=args.T, preset=args.preset, seed=args.seed, out=args.out, thresholds=args.thresholds.absolute()
    )
    try:
        if args.judge_only:
            results = example_trials.judge_again(settings)
        else:
            results = example_trials.run_trials(settings)
    except (PostgresError, subprocess.SubprocessError, OSError, RuntimeError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    text = example_trials.render(settings, results)
    (settings.out / "example-trials.txt").write_text(text, encoding="utf-8")
    print(text, end="")
    return ExitCode.OK
