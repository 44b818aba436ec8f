"""``loadtest calibrate`` (scripts/calibrate.py): the gate's false alarms and detection, side by side.

    loadtest calibrate [--preset smoke] [-K 10] [-T 20] [--slowdowns 10,20,30]
                       [--run-time 1m] [--users N] [--wait-min S] [--wait-max S]
                       [--endpoint 'GET /api/dashboard/'] [--parallel 4] [--seed 1]
                       [--out results/calibration] [--judge-only]

Runs K + T unchanged runs and T runs per slowdown of the real locustfile, each against its own
stand-in API on 127.0.0.1 with lognormal latency on every endpoint (median 50 ms, p95 2.5 x
median), then prints the table. --judge-only judges the runs already in --out again.
See loadtest/calibration.py for the method.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest import calibration
from loadtest.cli.console import command_parser, positive_int, refuse_bad_outputs
from loadtest.exitcodes import ExitCode
from loadtest.presets import PresetError, parse_duration

EXIT_CODES_HELP = """\
Exit codes:
  0  calibrated: the table is printed and saved in --out
  2  usage error: an unknown preset, a bad count or percentage, an --out that cannot be written
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    refused = refuse_bad_outputs("calibrate", folders={"--out": args.out})
    if refused is not None:
        return refused
    try:
        settings = calibration.Settings(
            preset=args.preset,
            history_runs=args.K,
            trials=args.T,
            slowdowns=tuple(args.slowdowns),
            run_time_s=parse_duration(args.run_time) if args.run_time else None,
            users=args.users,
            wait_min=args.wait_min,
            wait_max=args.wait_max,
            endpoint=args.endpoint,
            parallel=args.parallel,
            seed=args.seed,
            out=args.out,
        )
        calibration.describe_settings(settings)
    except PresetError as exc:
        parser.error(str(exc))
    measured = (
        calibration.measured_from(settings)
        if args.judge_only
        else calibration.run_all(settings, progress=calibration.log)
    )
    outcome = calibration.judge(settings, measured, progress=calibration.log)
    text = calibration.render_report(outcome)
    calibration.save(outcome, text)
    sys.stdout.write(text)
    return ExitCode.OK


def _slowdowns(text: str) -> list[float]:
    try:
        values = [float(item) / 100 for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected percentages like 10,20,30, got {text!r}") from None
    if not values or any(value <= 0 for value in values):
        raise argparse.ArgumentTypeError(f"expected positive percentages like 10,20,30, got {text!r}")
    return values


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "calibrate",
        "Measure the gate's false alarms and detection on the stand-in API.",
        EXIT_CODES_HELP,
    )
    parser.add_argument("--preset", default="smoke", help="preset to run (default: %(default)s)")
    parser.add_argument(
        "-K", type=positive_int, default=10, help="runs in each baseline history (default: %(default)s)"
    )
    parser.add_argument("-T", type=positive_int, default=20, help="trials per column (default: %(default)s)")
    parser.add_argument(
        "--slowdowns", type=_slowdowns, default=[0.1, 0.2, 0.3], help="percent, e.g. 10,20,30 (default)"
    )
    parser.add_argument("--run-time", help="run time per run, e.g. 1m (default: the preset's)")
    parser.add_argument("--users", type=positive_int, help="users (default: the preset's)")
    parser.add_argument(
        "--wait-min", type=float, help="shortest wait between tasks, s (default: the preset's)"
    )
    parser.add_argument(
        "--wait-max", type=float, help="longest wait between tasks, s (default: the preset's)"
    )
    parser.add_argument(
        "--endpoint", default="GET /api/dashboard/", help="the endpoint to slow (default: %(default)s)"
    )
    parser.add_argument(
        "--parallel", type=positive_int, default=4, help="runs at a time (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the run order and the sandboxes")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("results/calibration"),
        help="folder for the runs (default: %(default)s)",
    )
    parser.add_argument("--judge-only", action="store_true", help="judge the runs already in --out again")
    return parser
