"""``python -m tools bench-generator``: the load generator's CPU per 1,000 requests.

    python -m tools bench-generator [--duration 5] [--users 50] [--repeat 3] [--keep-logs DIR]

Starts the stand-in API on loopback; every run is bounded in time; installs nothing.
See tools/bench/generator.py for the method.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, refuse_bad_outputs
from loadtest.exitcodes import ExitCode
from tools.bench.generator import TARGET_RATIO, can_pin, ratio, render, run, verdict

EXIT_CODES_HELP = f"""\
Exit codes:
  0  the full locustfile costs at most {TARGET_RATIO:g} x a bare FastHttpUser per request
  1  it costs more
  2  the benchmark could not run (bad arguments, the stand-in or Locust failed)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "python -m tools bench-generator",
        "Benchmark the load generator's CPU per 1,000 requests.",
        EXIT_CODES_HELP,
    )
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per run (default 5)")
    # Enough users to keep one Locust process busy: with fewer, wake-ups dominate the cost per request.
    parser.add_argument("--users", type=int, default=50, help="simulated users per run (default 50)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per scenario, median kept (default 3)")
    parser.add_argument("--keep-logs", type=Path, help="folder to keep each run's Locust output in")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.users <= 0 or args.repeat <= 0:
        print(f"{parser.prog}: --duration, --users and --repeat must be positive", file=sys.stderr)
        return ExitCode.USAGE
    refused = refuse_bad_outputs(parser.prog, folders={"--keep-logs": args.keep_logs})
    if refused is not None:
        return refused
    with tempfile.TemporaryDirectory() as tmp:
        logs = args.keep_logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            results = run(args.duration, args.users, args.repeat, logs)
        except (RuntimeError, OSError) as exc:
            print(f"{parser.prog}: error: {exc} (Locust output in {logs})", file=sys.stderr)
            return ExitCode.USAGE
    print(f"Generator efficiency: {args.users} users, {args.duration:g}s measured, {args.repeat} run(s) each")
    print(render(results, pinned=can_pin()))
    return ExitCode.OK if verdict(ratio(results, "a", "b")) == "PASS" else ExitCode.FAILED
