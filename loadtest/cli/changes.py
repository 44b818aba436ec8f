"""``loadtest changes``: change points over a baseline's long history.

    loadtest changes BASELINE [--results RESULTS] [--thresholds FILE] [--days N] [--markdown FILE]
                     [--step-summary] [--issue --preset NAME --verdict VERDICT]

Searches each endpoint's typical time and failure ratio in BASELINE/long-history.json (seeded
from history.json for a baseline recorded before long histories), with tonight's RESULTS appended
when given, with Apache Otava's E-divisive means detector (loadtest.changes), at the ``changes``
settings of the thresholds file, and prints one line per change point, newest first: the endpoint,
before -> after (segment medians), the day and commits between the last run before and the first
after, its p-value.

``--days N`` keeps the change points of the last N days (default with --markdown and
--step-summary: the thresholds' recent_days); ``--markdown FILE`` writes them as the nightly
summary's section, ``--step-summary`` appends it to $GITHUB_STEP_SUMMARY and annotates each slower
one. ``--issue`` opens, updates or closes the preset's nightly issue (loadtest.github.nightly_issue;
GITHUB_TOKEN with issues: write). Change points are information: they never change the gate's verdict.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadtest.bundle import BundleError, read_results
from loadtest.changes.detect import DetectorMissing, find_changes, recent
from loadtest.changes.render import console_line, markdown
from loadtest.changes.rules import change_rules
from loadtest.cli.console import command_parser, fail, optional_path, positive_int
from loadtest.exitcodes import ExitCode
from loadtest.gate import DEFAULT_THRESHOLDS, GateInputError
from loadtest.gate.history import HistoryError
from loadtest.gate.long_history import long_run_from_results, previous_long_history
from loadtest.gate.thresholds import load_thresholds
from loadtest.github.actions import annotate, append_step_summary, run_url
from loadtest.github.baseline import baseline_artifact_name

EXIT_CODES_HELP = """\
Exit codes:
  0  searched (with or without change points), and the issue is as it should be
  1  GitHub refused the issue's update after bounded retries
  2  the long history, the results or the thresholds are malformed (one line names the file and
     field), the detector is not installed, or usage
"""
VERDICTS = ("pass", "warn", "fail", "")


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    args = _parser().parse_args(argv)
    env = os.environ if environ is None else environ
    if not args.baseline.is_dir():
        return fail(f"changes: error: {args.baseline}: not a folder (a baseline bundle)", ExitCode.USAGE)
    if args.issue:
        try:
            baseline_artifact_name(args.preset or "")
        except ValueError as exc:
            return fail(f"changes: error: --issue needs --preset NAME: {exc}", ExitCode.USAGE)
    try:
        rules = change_rules(load_thresholds(args.thresholds or DEFAULT_THRESHOLDS))
        history = previous_long_history(args.baseline)
        if args.results:
            history = history.rolled(long_run_from_results(read_results(args.results)))
        points = find_changes(history, rules)
    except (HistoryError, BundleError, GateInputError, DetectorMissing) as exc:
        return fail(f"changes: error: {exc}", ExitCode.USAGE)
    days = args.days or rules.recent_days
    shown = recent(points, history, days) if args.days or args.markdown or args.step_summary else points
    section = markdown(shown, days=days, runs=len(history))
    if args.markdown:
        try:
            args.markdown.write_text(section, encoding="utf-8")
        except OSError as exc:
            return fail(f"changes: error: cannot write {args.markdown}: {exc.strerror}", ExitCode.USAGE)
    print(f"changes: {len(history)} runs searched, {len(shown)} change points")
    for point in shown:
        print(console_line(point))
    if args.step_summary:
        append_step_summary(section + "\n", environ=env)
        for point in (p for p in shown if p.worse):
            annotate("warning", console_line(point), environ=env)
    if args.issue:
        return _sync_issue(args, env, points=points, shown=shown, days=days, runs=len(history))
    return ExitCode.OK


def _sync_issue(args, env, *, points, shown, days: int, runs: int) -> int:
    from loadtest.github.client import GitHubClient, GitHubSettings
    from loadtest.github.nightly_issue import active, sync_issue

    settings = GitHubSettings.from_environ(env)
    if not settings.configured:
        annotate("notice", "no GITHUB_TOKEN or GITHUB_REPOSITORY: no nightly issue", environ=env)
        return ExitCode.OK
    try:
        with GitHubClient(settings) as client:
            result = sync_issue(
                client,
                preset=args.preset,
                in_force=active(points),
                recent=shown,
                verdict=args.verdict,
                days=days,
                runs=runs,
                run_url=run_url(env) or "",
            )
    except Exception as exc:  # GitHubError, or anything else: one line, never a traceback
        return fail(f"changes: error: the nightly issue: {settings.redact(exc)}", ExitCode.FAILED)
    number = f" #{result.number}" if result.number else ""
    print(f"changes: nightly issue{number}: {result.action}")
    return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "loadtest changes", "Change points over a baseline's long history.", EXIT_CODES_HELP, one_line=True
    )
    parser.add_argument("baseline", type=Path, metavar="BASELINE", help="a baseline bundle folder")
    parser.add_argument("--results", type=optional_path, metavar="RESULTS", help="tonight's bundle, appended")
    parser.add_argument(
        "--thresholds",
        type=optional_path,
        metavar="FILE",
        help=f"whose changes section applies (default or empty: {DEFAULT_THRESHOLDS.name})",
    )
    parser.add_argument(
        "--days", type=positive_int, metavar="N", help="only the change points of the last N days"
    )
    parser.add_argument(
        "--markdown", type=Path, metavar="FILE", help="write the last days' change points as markdown"
    )
    parser.add_argument(
        "--step-summary", action="store_true", help="append them to $GITHUB_STEP_SUMMARY and annotate"
    )
    parser.add_argument(
        "--issue", action="store_true", help="open, update or close the preset's nightly issue"
    )
    parser.add_argument("--preset", metavar="NAME", help="the preset whose issue it is")
    parser.add_argument(
        "--verdict", choices=VERDICTS, default="", help="tonight's gate verdict (the issue's)"
    )
    return parser
