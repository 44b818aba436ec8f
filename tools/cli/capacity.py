"""``python -m tools capacity``: the highest request rate with 1 and 2 Locust workers.

    python -m tools capacity [--duration 5] [--users 10 25 50 100 200] [--workers 1 2]

Starts the stand-in API on loopback; every step is bounded in time; installs nothing.
See tools/bench/capacity.py for the method.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser
from loadtest.exitcodes import ExitCode
from tools.bench.capacity import DEFAULT_USERS, HEADER, best, climb, render_row
from tools.bench.measure import Target

EXIT_CODES_HELP = """\
Exit codes:
  0  measured
  2  could not run (bad arguments, the stand-in or Locust failed)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "python -m tools capacity",
        "The highest request rate this machine reaches with 1 and 2 Locust workers.",
        EXIT_CODES_HELP,
    )
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per step (default 5)")
    parser.add_argument(
        "--users",
        type=int,
        nargs="+",
        default=list(DEFAULT_USERS),
        help=f"user counts to climb through (default {' '.join(map(str, DEFAULT_USERS))})",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.duration <= 0 or min(args.users) <= 0 or min(args.workers) <= 0:
        print(f"{parser.prog}: --duration, --users and --workers must be positive", file=sys.stderr)
        return ExitCode.USAGE
    cores = os.cpu_count() or 1
    print(
        f"Capacity on this machine ({cores} cores): full locustfile, zero wait, {args.duration:g}s per step"
    )
    print(f"  {HEADER}")
    results = []
    with tempfile.TemporaryDirectory() as tmp, Target() as target:
        try:
            for workers in args.workers:
                results.append(best(climb(workers, args.users, target, args.duration, Path(tmp))))
        except (RuntimeError, OSError) as exc:
            print(f"{parser.prog}: error: {exc}", file=sys.stderr)
            return ExitCode.USAGE
    print(
        "\nHighest rate per worker count (CPU in cores: 100% = one core busy; busiest = one Locust process;"
    )
    print("machine = all processes on this machine, this benchmark included):")
    print(HEADER)
    for step in results:
        print(render_row(step, cores))
    return ExitCode.OK
