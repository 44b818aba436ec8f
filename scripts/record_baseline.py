"""Record a passing default-branch run as the next baseline, with its rolling history.

    python scripts/record_baseline.py RESULTS --previous BASELINE --out OUT [--keep N]

OUT becomes the RESULTS bundle plus history.json: BASELINE's history (or a new one when BASELINE
is missing or empty) with this run appended, runs recorded with other settings dropped, and only
the newest N kept (default: regression.history.keep of thresholds.json for the run, else 20).
Inside GitHub Actions, writes ``recorded=true`` to $GITHUB_OUTPUT. Exit 0, or 2 on unusable input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtest.bundle import BundleError  # noqa: E402 - after the path set-up above
from loadtest.gate import DEFAULT_THRESHOLDS, GateInputError  # noqa: E402
from loadtest.gate.history import HistoryError, default_keep, record_baseline  # noqa: E402

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        keep = args.keep or default_keep(args.results, DEFAULT_THRESHOLDS)
        recorded = record_baseline(args.results, previous=args.previous, out=args.out, keep=keep)
    except (BundleError, HistoryError, GateInputError) as exc:
        print(f"record_baseline: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(
            f"record_baseline: error: cannot write {exc.filename or args.out}: {exc.strerror}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    dropped = f", {recorded.dropped} with other settings dropped" if recorded.dropped else ""
    print(f"record_baseline: {args.out}: history of {len(recorded.history)} runs (keeps {keep}{dropped})")
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
            output.write("recorded=true\n")
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="record_baseline",
        description="Write the next baseline: this run's bundle plus the rolling history of earlier runs.",
        epilog="Exit status: 0 recorded, 2 unusable input or usage.",
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
        "--keep", type=_positive, metavar="N", help="runs to keep (default: thresholds.json, else 20)"
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
