"""``loadtest record-baseline``: a passing run becomes the next baseline.

    loadtest record-baseline RESULTS --previous BASELINE --out OUT [--keep N] [--thresholds FILE]

OUT becomes the RESULTS bundle plus history.json: BASELINE's history (or a new one when BASELINE
is missing or empty) with this run appended, runs recorded with other settings dropped, and only
the newest N kept (default: regression.history.keep of the thresholds file for the run, else 20);
long-history.json, BASELINE's long history (loadtest.gate.long_history; seeded from its history.json
when it has none) with this run appended, up to 400 runs per preset and target;
and trend.html, the charts of that history and of the long history with its change points at the
thresholds' ``changes`` settings (loadtest.trend).
Inside GitHub Actions, writes ``recorded=true`` to $GITHUB_OUTPUT.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from loadtest.bundle import TREND_PAGE, BundleError, read_results
from loadtest.changes.rules import change_rules
from loadtest.cli.console import command_parser, fail, optional_path, positive_int, refuse_bad_outputs
from loadtest.exitcodes import ExitCode
from loadtest.gate import DEFAULT_THRESHOLDS, GateInputError
from loadtest.gate.history import HistoryError, default_keep, record_baseline
from loadtest.gate.long_history import (
    LONG_HISTORY,
    long_run_from_results,
    previous_long_history,
    write_long_history,
)
from loadtest.gate.thresholds import load_thresholds
from loadtest.github.actions import write_outputs
from loadtest.trend import long_view, page_for_baseline, write_trend_page

EXIT_CODES_HELP = """\
Exit codes:
  0  recorded
  2  unusable input (the run, the previous baseline or its history), the folder not writable, or usage
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    refused = refuse_bad_outputs("record_baseline", folders={"--out": args.out})
    if refused is not None:
        return refused
    try:
        keep = args.keep or default_keep(args.results, args.thresholds or DEFAULT_THRESHOLDS)
        # Everything is read before anything is written: a refusal leaves no half baseline.
        earlier = previous_long_history(args.previous)
        rules = change_rules(load_thresholds(args.thresholds or DEFAULT_THRESHOLDS))
        recorded = record_baseline(args.results, previous=args.previous, out=args.out, keep=keep)
        long = earlier.rolled(long_run_from_results(read_results(args.results)))
        write_long_history(args.out / LONG_HISTORY, long)
        page = page_for_baseline(recorded.history, long=long_view(long, rules))
        write_trend_page(args.out / TREND_PAGE, page)
    except (BundleError, HistoryError, GateInputError) as exc:
        return fail(f"record_baseline: error: {exc}", ExitCode.USAGE)
    except OSError as exc:
        return fail(
            f"record_baseline: error: cannot write {exc.filename or args.out}: {exc.strerror}", ExitCode.USAGE
        )
    dropped = f", {recorded.dropped} with other settings dropped" if recorded.dropped else ""
    print(
        f"record_baseline: {args.out}: history of {len(recorded.history)} runs (keeps {keep}{dropped}), "
        f"long history of {len(long)} runs (keeps {long.keep} per preset and target)"
    )
    write_outputs({"recorded": "true"})
    return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "loadtest record-baseline",
        "Write the next baseline: this run's bundle plus the rolling history of earlier runs.",
        EXIT_CODES_HELP,
        one_line=True,  # a workflow step: a usage error is one line there
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
        "--keep", type=positive_int, metavar="N", help="runs to keep (default: the thresholds file, else 20)"
    )
    parser.add_argument(
        "--thresholds",
        type=optional_path,
        metavar="FILE",
        help=f"whose regression.history.keep applies (default or empty: {DEFAULT_THRESHOLDS.name})",
    )
    return parser
