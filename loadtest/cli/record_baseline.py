"""``loadtest record-baseline`` (scripts/record_baseline.py): a passing run becomes the next baseline.

    loadtest record-baseline RESULTS --previous BASELINE --out OUT [--keep N]

OUT becomes the RESULTS bundle plus history.json: BASELINE's history (or a new one when BASELINE
is missing or empty) with this run appended, runs recorded with other settings dropped, and only
the newest N kept (default: regression.history.keep of thresholds.json for the run, else 20);
and trend.html, the charts of that history (loadtest.trend).
Inside GitHub Actions, writes ``recorded=true`` to $GITHUB_OUTPUT.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.bundle import TREND_PAGE, BundleError
from loadtest.cli.console import command_parser, positive_int
from loadtest.exitcodes import ExitCode
from loadtest.gate import DEFAULT_THRESHOLDS, GateInputError
from loadtest.gate.history import HistoryError, default_keep, record_baseline
from loadtest.github.actions import write_outputs
from loadtest.trend import page_for_baseline, write_trend_page

EXIT_CODES_HELP = """\
Exit codes:
  0  recorded
  2  unusable input (the run, the previous baseline or its history), the folder not writable, or usage
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        keep = args.keep or default_keep(args.results, DEFAULT_THRESHOLDS)
        recorded = record_baseline(args.results, previous=args.previous, out=args.out, keep=keep)
        write_trend_page(args.out / TREND_PAGE, page_for_baseline(recorded.history))
    except (BundleError, HistoryError, GateInputError) as exc:
        print(f"record_baseline: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except OSError as exc:
        print(
            f"record_baseline: error: cannot write {exc.filename or args.out}: {exc.strerror}",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    dropped = f", {recorded.dropped} with other settings dropped" if recorded.dropped else ""
    print(f"record_baseline: {args.out}: history of {len(recorded.history)} runs (keeps {keep}{dropped})")
    write_outputs({"recorded": "true"})
    return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "record_baseline",
        "Write the next baseline: this run's bundle plus the rolling history of earlier runs.",
        EXIT_CODES_HELP,
    )
    parser.add_argument("results", type=Path, metavar="RESULTS", help="the passing run's results bundle")
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="BASELINE",
        help="the current baseline; missing or empty starts a history",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="OUT", help="folder to write (new or empty)"
    )
    parser.add_argument(
        "--keep", type=positive_int, metavar="N", help="runs to keep (default: thresholds.json, else 20)"
    )
    return parser
