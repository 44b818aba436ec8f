"""``python -m tools calibrate``: the gate's false alarms and detection, side by side.

    python -m tools calibrate [--model lognormal|mixture|realistic] [--mixture 50:2:3:0.1:10:0.01]
                       [--run-spread PCT] [--realistic-scale 0.1] [--preset smoke] [-K 10] [-T 40]
                       [--histories H] [--slowdowns 10,20] [--run-time 1m] [--users N]
                       [--wait-min S] [--wait-max S]
                       [--endpoint 'GET /api/dashboard/'] [--parallel 6] [--seed 1]
                       [--judge-as external|sandbox] [--variants] [--methods TEXT] [--out DIR]
                       [--judge-only]
    python -m tools calibrate --ab [--ab-model drift|offset] [--designs paired,blocks] [--block-s 10]
                       [-T 40] [--slowdowns 5,10,20] [--run-time 2m] [--parallel 3] [--seed 1] [--out DIR]

Runs K + T unchanged runs and T runs per slowdown of the real locustfile, each against its own
stand-in API on 127.0.0.1 with the model's latency on every endpoint, then prints the table.
--judge-only judges the runs already in --out again. See tools/calibration/ for the method.
--ab calibrates the paired verdict of a base against a head instead (tools/calibration/ab.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, positive_int, refuse_bad_outputs
from loadtest.exitcodes import ExitCode
from loadtest.presets import PresetError, parse_duration
from loadtest.sandbox.faults import JITTER_PARAMS, FaultSpecError
from loadtest.sides import DESIGNS
from tools import calibration
from tools.calibration import ab
from tools.calibration.models import MIXTURE, MODELS

EXIT_CODES_HELP = """\
Exit codes:
  0  calibrated: the table is printed and saved in --out
  2  usage error: an unknown preset or model, a bad count, percentage or mixture,
     --judge-only without the runs it needs in --out, or an --out that cannot be written
"""
MIXTURE_NAMES = JITTER_PARAMS["mixture"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    refused = refuse_bad_outputs(parser.prog, folders={"--out": args.out})
    if refused is not None:
        return refused
    if args.ab:
        return _ab(parser, args)
    try:
        settings = _settings(args)
        calibration.describe_settings(settings)
    except (PresetError, FaultSpecError, ValueError) as exc:
        parser.error(str(exc))
    try:
        measured = (
            calibration.measured_from(settings)
            if args.judge_only
            else calibration.run_all(settings, progress=calibration.log)
        )
    except FileNotFoundError as exc:
        parser.error(str(exc))
    outcome = calibration.judge(settings, measured, progress=calibration.log)
    text = calibration.render_report(outcome)
    calibration.save(outcome, text)
    sys.stdout.write(text)
    return ExitCode.OK


def _ab(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """The paired verdict's calibration: trials of a base against a head, then the table."""
    try:
        settings = ab.ABSettings(
            model=args.ab_model,
            designs=tuple(d.strip() for d in args.designs.split(",") if d.strip()),
            trials=args.T,
            slowdowns=tuple(args.slowdowns or ab.ABSettings.slowdowns),
            run_time_s=parse_duration(args.run_time) if args.run_time else ab.ABSettings.run_time_s,
            block_s=args.block_s,
            users=args.users,
            endpoint=args.endpoint,
            parallel=args.parallel,
            seed=args.seed,
            preset=args.preset,
            out=args.out or Path("results") / f"calibration-ab-{args.ab_model}",
        )
    except (PresetError, ValueError) as exc:
        parser.error(str(exc))
    started = time.monotonic()
    runs = ab.trials_in(settings) if args.judge_only else ab.run_all(settings)
    text = ab.render(settings, ab.judge(settings, runs))
    if not args.judge_only:
        minutes = (time.monotonic() - started) / 60
        text += f"ran {len(runs)} trials, {settings.parallel} at a time, in {minutes:.1f} min\n"
    (settings.out / "calibration.txt").write_text(text, encoding="utf-8")
    sys.stdout.write(text)
    return ExitCode.OK


def _settings(args: argparse.Namespace) -> calibration.Settings:
    model = calibration.LatencyModel(
        name=args.model,
        mixture=args.mixture,
        realistic_scale=args.realistic_scale,
        run_spread=args.run_spread,
    )
    return calibration.Settings(
        preset=args.preset,
        model=model,
        history_runs=args.K,
        trials=args.T,
        slowdowns=tuple(args.slowdowns or (0.1, 0.2)),
        run_time_s=parse_duration(args.run_time) if args.run_time else None,
        users=args.users,
        wait_min=args.wait_min,
        wait_max=args.wait_max,
        endpoint=args.endpoint,
        parallel=args.parallel,
        seed=args.seed,
        out=args.out or Path("results") / f"calibration-{args.model}",
        judge_as=args.judge_as,
        variants=args.variants,
        histories=args.histories or 0,
        methods=tuple(part.strip() for part in (args.methods or "").split(",") if part.strip()),
    )


def _slowdowns(text: str) -> list[float]:
    try:
        values = [float(item) / 100 for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected percentages like 10,20,30, got {text!r}") from None
    if not values or any(value <= 0 for value in values):
        raise argparse.ArgumentTypeError(f"expected positive percentages like 10,20,30, got {text!r}")
    return values


def _mixture(text: str) -> dict[str, object]:
    """MEDIAN_MS:P95_RATIO:SECOND_RATIO:SECOND_WEIGHT:TAIL_RATIO:TAIL_WEIGHT, as --fault's jitter:mixture."""
    parts = text.split(":")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != len(MIXTURE_NAMES):
        raise argparse.ArgumentTypeError(
            f"expected {':'.join(n.upper() for n in MIXTURE_NAMES)}, e.g. 50:2:3:0.1:10:0.01, got {text!r}"
        )
    return {"distribution": "mixture", **dict(zip(MIXTURE_NAMES, values, strict=True))}


def _percent(text: str) -> float:
    try:
        value = float(text) / 100
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage like 4, got {text!r}") from None
    if not 0 <= value <= 0.5:
        raise argparse.ArgumentTypeError(f"expected a percentage from 0 to 50, got {text!r}")
    return value


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 10:
        raise argparse.ArgumentTypeError(f"expected a scale above 0 and at most 10, like 0.1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "python -m tools calibrate",
        "Measure the gate's false alarms and detection on the stand-in API.",
        EXIT_CODES_HELP,
    )
    model = parser.add_argument_group("the latency model injected on every endpoint")
    model.add_argument(
        "--model", choices=MODELS, default="lognormal", help="latency model (default: %(default)s)"
    )
    default_mixture = ":".join(f"{MIXTURE[name]:g}" for name in MIXTURE_NAMES)
    model.add_argument(
        "--mixture",
        type=_mixture,
        default=dict(MIXTURE),
        metavar=":".join(n.upper() for n in MIXTURE_NAMES),
        help=f"the mixture model's modes (default: {default_mixture})",
    )
    model.add_argument(
        "--run-spread",
        type=_percent,
        help="spread of a speed factor per run common to every endpoint, percent "
        "(default: 4 for mixture, 8 for heavy, 6 for reported, 0 for the others)",
    )
    model.add_argument(
        "--realistic-scale",
        type=_scale,
        default=0.1,
        help="the realistic profile's scale (default: %(default)s)",
    )
    runs = parser.add_argument_group("the runs")
    runs.add_argument("--preset", default="smoke", help="preset to run (default: %(default)s)")
    runs.add_argument(
        "-K", type=positive_int, default=10, help="runs in each baseline history (default: %(default)s)"
    )
    runs.add_argument("-T", type=positive_int, default=40, help="trials per column (default: %(default)s)")
    runs.add_argument(
        "--histories",
        type=positive_int,
        help="judge every trial against H independent histories of K runs each, run apart from the "
        "trials, and report each history's figures (default: one rolling history, the K runs before "
        "each A/A trial)",
    )
    runs.add_argument(
        "--slowdowns", type=_slowdowns, help="percent, e.g. 10,20 (the default; 5,10,20 with --ab)"
    )
    runs.add_argument("--run-time", help="run time per run, e.g. 1m (default: the preset's)")
    runs.add_argument("--users", type=positive_int, help="users (default: the preset's)")
    runs.add_argument("--wait-min", type=float, help="shortest wait between tasks, s (default: the preset's)")
    runs.add_argument("--wait-max", type=float, help="longest wait between tasks, s (default: the preset's)")
    runs.add_argument(
        "--endpoint", default="GET /api/dashboard/", help="the endpoint to slow (default: %(default)s)"
    )
    runs.add_argument(
        "--parallel", type=positive_int, default=6, help="runs at a time (default: %(default)s)"
    )
    runs.add_argument(
        "--seed", type=int, default=1, help="seed of the run order, the sandboxes and speed factors"
    )
    judging = parser.add_argument_group("judging")
    judging.add_argument(
        "--judge-as",
        choices=("external", "sandbox"),
        default="external",
        help="whose thresholds judge the runs: a real host's (default) or the stand-in's",
    )
    judging.add_argument(
        "--variants", action="store_true", help="also judge by this gate with each of its parts taken back"
    )
    judging.add_argument(
        "--methods",
        metavar="TEXT[,TEXT]",
        help="judge only this gate and the methods (or --variants) whose names contain one of these, "
        "e.g. --variants --methods 'own runner noise' (default: every method)",
    )
    judging.add_argument("--out", type=Path, help="folder for the runs (default: results/calibration-MODEL)")
    judging.add_argument("--judge-only", action="store_true", help="judge the runs already in --out again")
    paired = parser.add_argument_group("a base against a head (--ab)")
    paired.add_argument(
        "--ab", action="store_true", help="calibrate the paired verdict of a base against a head"
    )
    paired.add_argument("--ab-model", choices=ab.AB_MODELS, default="drift", help="default: %(default)s")
    paired.add_argument(
        "--designs", default=",".join(DESIGNS), help="designs to measure (default: %(default)s)"
    )
    paired.add_argument("--block-s", type=float, default=10.0, help="the blocks design's block length, s")
    return parser
