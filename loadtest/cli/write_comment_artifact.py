"""``loadtest write-comment-artifact``: a PR run's comment artifact."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail, refuse_bad_outputs
from loadtest.exitcodes import ExitCode
from loadtest.github.comment_artifact import (
    InvalidArtifactError,
    no_result_summary,
    pr_number_argument,
    read_summary,
    write_comment_artifact,
)

WRITE_ARTIFACT_HELP = """\
Writes summary.md, pr-number and head-sha into DIR, the layout loadtest post-comment --artifact
reads. A summary longer than a GitHub comment allows is trimmed with a note. A missing
summary (the run failed before the gate) becomes a short "no result" summary, so the
pull request still hears about it.

Exit codes:
  0  written
  2  bad input: unreadable summary, PR number or head SHA malformed, DIR not writable
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_parser(
        "loadtest write-comment-artifact",
        "Write the comment artifact a PR run uploads for the comment workflow.",
        WRITE_ARTIFACT_HELP,
        one_line=True,
    )
    parser.add_argument("--summary", required=True, type=Path, help="markdown summary")
    parser.add_argument("--pr", required=True, type=pr_number_argument, help="pull request number")
    parser.add_argument("--head-sha", required=True, help="40-hex commit the run tested")
    parser.add_argument("--out", required=True, type=Path, help="folder to write into")
    args = parser.parse_args(argv)
    refused = refuse_bad_outputs("write_comment_artifact", folders={"--out": args.out})
    if refused is not None:
        return refused
    try:
        summary = read_summary(args.summary) if args.summary.exists() else no_result_summary(args.summary)
        write_comment_artifact(args.out, summary=summary, pr_number=args.pr, head_sha=args.head_sha)
    except (InvalidArtifactError, OSError) as exc:
        return fail(f"error: {exc}", ExitCode.USAGE)
    print(f"comment artifact for PR #{args.pr} written to {args.out}")
    return ExitCode.OK
