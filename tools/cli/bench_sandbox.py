"""``python -m tools bench-sandbox``: the stand-in API against a bare gevent hello-world.

    python -m tools bench-sandbox [--duration 10] [--rounds 5] [--json FILE]

Needs wrk (Debian package: apt-get install -y wrk); installs nothing. Loopback only.
See tools/bench/sandbox.py for the method.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import requests

from loadtest.cli.console import command_parser, refuse_bad_outputs
from loadtest.exitcodes import ExitCode
from loadtest.sandbox.process import SandboxError
from tools.bench.sandbox import CONNECTIONS, ROUNDS, TARGET_P50_MS, TARGET_RATIO, measure, pinning, report

EXIT_CODES_HELP = f"""\
Exit codes:
  0  targets met: the stand-in's p50 under {TARGET_P50_MS:g} ms and at least {TARGET_RATIO:g} of
     hello-world's requests/s
  1  targets missed
  2  wrk is missing, the run could not be made, or --json cannot be written
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_parser(
        "python -m tools bench-sandbox",
        "Benchmark the stand-in API against a bare gevent hello-world with wrk.",
        EXIT_CODES_HELP,
    )
    parser.add_argument(
        "--duration", type=int, default=10, metavar="SECONDS", help="per target (default: 10)"
    )
    parser.add_argument(
        "--rounds", type=int, default=ROUNDS, help=f"alternating runs per target (default: {ROUNDS})"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.rounds < 1:
        parser.error("--duration and --rounds must be at least 1")
    refused = refuse_bad_outputs(parser.prog, files={"--json": args.json})
    if refused is not None:
        return refused
    wrk_path = shutil.which("wrk")
    if wrk_path is None:
        print(
            f"{parser.prog}: wrk is not installed; install it with: apt-get install -y wrk", file=sys.stderr
        )
        return ExitCode.USAGE
    server_prefix, wrk_prefix, pinned = pinning()
    round_s = max(1, round(args.duration / args.rounds))
    try:
        runs = measure(round_s, args.rounds, server_prefix, [*wrk_prefix, wrk_path])
    except (
        SandboxError,
        RuntimeError,
        ValueError,
        requests.RequestException,
        subprocess.SubprocessError,
    ) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    header = (
        f"wrk -t1 -c{CONNECTIONS} keep-alive, best of {args.rounds} alternating {round_s}s runs; {pinned}"
    )
    passed, figures = report(*runs, header)
    if args.json:
        figures |= {"round_s": round_s, "pinning": pinned}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return ExitCode.OK if passed else ExitCode.FAILED
