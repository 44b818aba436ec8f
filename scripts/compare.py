"""The load-test gate: judge a run against thresholds.json and, optionally, a baseline run.

    python scripts/compare.py RESULTS [--baseline BASELINE] [--thresholds FILE] [--preset NAME]
                              [--summary FILE] [--json FILE]

RESULTS and BASELINE are results bundles or the CSV prefix of a plain ``locust --csv PREFIX`` run.
Prints the markdown summary; exits 0 on pass or warn, 1 on fail, 2 on unusable input or usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtest.bundle import write_atomically  # noqa: E402 - after the path set-up above
from loadtest.gate import (  # noqa: E402
    DEFAULT_THRESHOLDS,
    GateInputError,
    publish_to_github_actions,
    render_markdown,
    run_gate,
    verdict_json,
)

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        report = run_gate(
            args.results,
            baseline=args.baseline,
            thresholds_path=args.thresholds,
            preset=args.preset,
        )
        markdown = render_markdown(report)
        if args.summary:
            write_atomically(args.summary, markdown)
        if args.json:
            write_atomically(args.json, json.dumps(verdict_json(report), indent=2) + "\n")
    except GateInputError as exc:
        print(f"compare: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"compare: error: cannot write {exc.filename}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(markdown)
    sys.stdout.flush()
    publish_to_github_actions(report)
    return report.exit_code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compare",
        description="Judge a load-test run against thresholds.json and a baseline; print a markdown summary.",
        epilog="Exit status: 0 pass (warnings allowed), 1 a limit or regression failed, 2 unusable input.",
    )
    parser.add_argument(
        "results", type=Path, metavar="RESULTS", help="results bundle folder or Locust CSV prefix"
    )
    parser.add_argument(
        "--baseline",
        type=_path_or_none,
        metavar="BASELINE",
        help="bundle or CSV prefix to compare with; empty means none (handy in workflows)",
    )
    parser.add_argument(
        "--thresholds", type=Path, default=DEFAULT_THRESHOLDS, metavar="FILE", help="default: %(default)s"
    )
    parser.add_argument("--preset", metavar="NAME", help="default: the preset recorded in the bundle")
    parser.add_argument("--summary", type=Path, metavar="FILE", help="also write the markdown summary here")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the machine-readable verdict here")
    return parser


def _path_or_none(text: str) -> Path | None:
    return Path(text) if text.strip() else None


if __name__ == "__main__":
    sys.exit(main())
