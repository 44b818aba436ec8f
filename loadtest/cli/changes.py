"""``loadtest changes``: change points over a baseline's long history.

    loadtest changes BASELINE [--thresholds FILE] [--days N] [--markdown FILE]

Searches each endpoint's typical time and failure ratio in BASELINE/long-history.json (seeded
from history.json for a baseline recorded before long histories) with Apache Otava's E-divisive
means detector (loadtest.changes), at the ``changes`` settings of the thresholds file, and prints
one line per change point, newest first: the endpoint, before -> after (segment medians), the day
and commits between the last run before and the first after, its p-value. ``--days N`` keeps the
change points of the last N days; ``--markdown FILE`` writes them as the nightly summary's section.
Change points are information: they never change the gate's verdict.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from loadtest.changes.detect import DetectorMissing, find_changes, recent
from loadtest.changes.render import console_line, markdown
from loadtest.changes.rules import change_rules
from loadtest.cli.console import command_parser, fail, optional_path, positive_int
from loadtest.exitcodes import ExitCode
from loadtest.gate import DEFAULT_THRESHOLDS, GateInputError
from loadtest.gate.history import HistoryError
from loadtest.gate.long_history import previous_long_history
from loadtest.gate.thresholds import load_thresholds

EXIT_CODES_HELP = """\
Exit codes:
  0  searched (with or without change points)
  2  the long history or the thresholds are malformed (one line names the file and field), the
     detector is not installed, or usage
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.baseline.is_dir():
        return fail(f"changes: error: {args.baseline}: not a folder (a baseline bundle)", ExitCode.USAGE)
    try:
        rules = change_rules(load_thresholds(args.thresholds or DEFAULT_THRESHOLDS))
        history = previous_long_history(args.baseline)
        points = find_changes(history, rules)
    except (HistoryError, GateInputError, DetectorMissing) as exc:
        return fail(f"changes: error: {exc}", ExitCode.USAGE)
    days = args.days or rules.recent_days
    shown = recent(points, history, days) if args.days or args.markdown else points
    if args.markdown:
        try:
            args.markdown.write_text(markdown(shown, days=days, runs=len(history)), encoding="utf-8")
        except OSError as exc:
            return fail(f"changes: error: cannot write {args.markdown}: {exc.strerror}", ExitCode.USAGE)
    print(f"changes: {len(history)} runs searched, {len(shown)} change points")
    for point in shown:
        print(console_line(point))
    return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "changes", "Change points over a baseline's long history.", EXIT_CODES_HELP, one_line=True
    )
    parser.add_argument("baseline", type=Path, metavar="BASELINE", help="a baseline bundle folder")
    parser.add_argument(
        "--thresholds",
        type=optional_path,
        metavar="FILE",
        help=f"whose changes section applies (default or empty: {DEFAULT_THRESHOLDS.name})",
    )
    parser.add_argument("--days", type=positive_int, metavar="N", help="only the change points of the last N days")
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="write the last N days' change points as markdown"
    )
    return parser
