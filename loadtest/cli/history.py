"""``loadtest history export|import``: move a baseline's long history to and from a file.

    loadtest history export BASELINE --out FILE     # BASELINE/long-history.json, checked, to FILE
    loadtest history import FILE --baseline DIR     # FILE, checked, as DIR/long-history.json

The baseline artifact keeps the long history as long as the default branch or the schedule records
a baseline at least once in 90 days (artifact retention). A repository that wants it elsewhere (a
branch, a bucket) exports it after the nightly run and imports it into the fetched baseline folder
before ``record-baseline``. Both directions check the file (loadtest.gate.long_history) and write it
with the one writer, so export after import gives back the same bytes.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail
from loadtest.exitcodes import ExitCode
from loadtest.gate.history import HistoryError
from loadtest.gate.long_history import LONG_HISTORY, read_long_history, write_long_history

EXIT_CODES_HELP = """\
Exit codes:
  0  written
  2  the long history is missing or malformed (one line names the file and field), a path cannot
     be written, or usage; nothing is written then
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.direction == "export":
        source, destination = args.baseline / LONG_HISTORY, args.out
    else:
        source, destination = args.file, args.baseline / LONG_HISTORY
        if not args.baseline.is_dir():
            return fail(f"history: error: {args.baseline}: not a folder (a baseline bundle)", ExitCode.USAGE)
    if not source.is_file():
        return fail(f"history: error: {source}: no such file", ExitCode.USAGE)
    try:
        history = read_long_history(source)
        write_long_history(destination, history)
    except HistoryError as exc:
        return fail(f"history: error: {exc}", ExitCode.USAGE)
    except OSError as exc:
        return fail(
            f"history: error: cannot write {exc.filename or destination}: {exc.strerror}", ExitCode.USAGE
        )
    print(f"history: {destination}: {len(history)} runs")
    return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "loadtest history",
        "Export or import a baseline's long history (long-history.json).",
        EXIT_CODES_HELP,
        one_line=True,
    )
    commands = parser.add_subparsers(dest="direction", required=True, metavar="export|import")
    export = commands.add_parser("export", help="write BASELINE's long history to FILE")
    export.add_argument("baseline", type=Path, metavar="BASELINE", help="a baseline bundle folder")
    export.add_argument("--out", type=Path, required=True, metavar="FILE", help="the file to write")
    imported = commands.add_parser("import", help="write FILE as DIR's long history")
    imported.add_argument("file", type=Path, metavar="FILE", help="a long-history.json")
    imported.add_argument("--baseline", type=Path, required=True, metavar="DIR", help="the baseline folder")
    return parser
