"""``loadtest compare`` (scripts/compare.py): the gate, judging a run against thresholds.json and a baseline.

    loadtest compare RESULTS [--baseline BASELINE] [--thresholds FILE] [--preset NAME]
                             [--summary FILE] [--json FILE] [--trend FILE [--results-artifact NAME]]

RESULTS and BASELINE are results bundles or the CSV prefix of a plain ``locust --csv PREFIX`` run.
Prints the markdown summary; inside GitHub Actions also the step summary, annotations and outputs.
``--trend`` writes the trend page (the history's charts, loadtest.trend); the step summary then says
where it is: in the artifact ``--results-artifact`` names, on the run's page.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail, optional_path, refuse_bad_outputs
from loadtest.exitcodes import ExitCode
from loadtest.gate import DEFAULT_THRESHOLDS, GateInputError, publish_to_github_actions, run_gate
from loadtest.gate.outputs import write_gate_files
from loadtest.github.actions import artifact_pointer
from loadtest.trend import page_for_report, write_trend_page

EXIT_CODES_HELP = """\
Exit codes:
  0  pass (warnings allowed)
  1  a limit or a regression rule failed, or a stop condition ended the run early
  2  unusable input (a results bundle, the baseline or the thresholds file), an output path that
     cannot be written (--summary, --json, --trend), or a usage error
  4  incomplete: the run was interrupted (run.json says so), so it is never passed
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    refused = refuse_bad_outputs(
        "compare", files={"--summary": args.summary, "--json": args.json, "--trend": args.trend}
    )
    if refused is not None:
        return refused
    try:
        report = run_gate(
            args.results,
            baseline=args.baseline,
            thresholds_path=args.thresholds or DEFAULT_THRESHOLDS,
            preset=args.preset,
        )
        markdown = write_gate_files(report, summary=args.summary, verdict=args.json)
        if args.trend:
            write_trend_page(args.trend, page_for_report(report, baseline=args.baseline))
    except GateInputError as exc:
        return fail(f"compare: error: {exc}", ExitCode.USAGE)
    except OSError as exc:
        return fail(f"compare: error: cannot write {exc.filename}: {exc.strerror}", ExitCode.USAGE)
    sys.stdout.write(markdown)
    sys.stdout.flush()
    publish_to_github_actions(report, markdown + _trend_pointer(args))
    return report.exit_code


def _trend_pointer(args: argparse.Namespace) -> str:
    """For the step summary (not the PR comment): where the trend page is."""
    if not args.trend:
        return ""
    return "\n" + artifact_pointer("Trend page", args.trend.name, args.results_artifact) + "\n"


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "loadtest compare",
        "Judge a load-test run against thresholds.json and a baseline; print a markdown summary.",
        EXIT_CODES_HELP,
    )
    parser.add_argument(
        "results", type=Path, metavar="RESULTS", help="results bundle folder or Locust CSV prefix"
    )
    parser.add_argument(
        "--baseline",
        type=optional_path,
        metavar="BASELINE",
        help="bundle or CSV prefix to compare with; empty means none (handy in workflows)",
    )
    parser.add_argument(
        "--thresholds",
        type=optional_path,
        metavar="FILE",
        help=f"default (or empty): {DEFAULT_THRESHOLDS.name} of this repository",
    )
    parser.add_argument("--preset", metavar="NAME", help="default: the preset recorded in the bundle")
    parser.add_argument("--summary", type=Path, metavar="FILE", help="also write the markdown summary here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the machine-readable verdict here")
    parser.add_argument(
        "--trend",
        type=Path,
        metavar="FILE",
        help="write the trend page (trend.html: the history's charts) here",
    )
    parser.add_argument(
        "--results-artifact",
        metavar="NAME",
        help="the artifact the trend page is uploaded in, for the step summary's pointer to it",
    )
    return parser
