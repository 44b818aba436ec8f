"""``loadtest post-comment`` (scripts/post_comment.py): the sticky load-test comment on a pull request.

``environ`` and ``policy`` let tests run it in-process against the fake GitHub server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail, log_to_stderr
from loadtest.config import ConfigError
from loadtest.exitcodes import ExitCode
from loadtest.github.actions import annotate, load_event, print_untrusted
from loadtest.github.client import GitHubClient, GitHubError, GitHubSettings, RetryPolicy
from loadtest.github.comment import post_sticky_comment, pr_number_from_event
from loadtest.github.comment_artifact import (
    MAX_SUMMARY_BYTES,
    HeadMismatchError,
    InvalidArtifactError,
    parse_head_sha,
    pr_number_argument,
    read_comment_artifact,
    read_summary,
    read_untrusted_text,
    verify_pr_head,
)

POST_COMMENT_HELP = """\
The PR number comes from --pr, the validated --artifact, or the pull_request event payload.
With --artifact (the fork-safe comment workflow) the files are untrusted: the PR number
must be digits only, the head SHA 40 hex, and the PR's current head must equal the head
SHA of the run that produced the artifact (--expected-head-sha, default: the
workflow_run event's head_sha). With no token or no PR the summary is printed instead.

Exit codes:
  0  comment created, updated or already current; or nothing to post to (notice printed)
  1  GitHub refused or kept failing after bounded retries
  2  bad input: unreadable summary, invalid artifact, bad --pr, malformed GITHUB_* settings
  3  refused: the PR's head is not the commit that was tested (nothing posted)
"""


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> int:
    parser = command_parser(
        "post_comment.py",
        "Post or update the sticky load-test summary comment on a pull request.",
        POST_COMMENT_HELP,
        one_line=True,
    )
    parser.add_argument(
        "--summary", type=Path, help="markdown summary (default with --artifact: its summary.md)"
    )
    parser.add_argument("--pr", type=pr_number_argument, help="pull request number (default: from the event)")
    parser.add_argument("--artifact", type=Path, help="unpacked comment artifact (untrusted)")
    parser.add_argument("--expected-head-sha", help="head SHA of the run that made the artifact")
    args = parser.parse_args(argv)
    if args.summary is None and args.artifact is None:
        parser.error("give --summary FILE, or --artifact DIR")
    if args.artifact is not None and args.pr is not None:
        parser.error("--pr cannot be combined with --artifact: the artifact names the PR")
    if args.expected_head_sha and args.artifact is None:
        parser.error("--expected-head-sha only makes sense with --artifact")
    env = os.environ if environ is None else environ
    log_to_stderr()
    try:
        settings = GitHubSettings.from_environ(env)
        event = load_event(settings.event_path)
        if args.artifact is not None:
            artifact = read_comment_artifact(args.artifact)
            expected = parse_head_sha(
                args.expected_head_sha or str((event.get("workflow_run") or {}).get("head_sha", "")),
                what="--expected-head-sha",
            )
            summary = artifact.summary
            if args.summary is not None:
                summary = read_untrusted_text(args.summary, max_bytes=MAX_SUMMARY_BYTES)
            pr_number = artifact.pr_number
        else:
            artifact, expected = None, ""
            summary = read_summary(args.summary)
            pr_number = args.pr or pr_number_from_event(event)
    except (InvalidArtifactError, ConfigError, OSError) as exc:
        return fail(f"error: {exc}", ExitCode.USAGE)
    if not settings.configured or pr_number is None:
        why = "no pull request number" if settings.configured else "no GITHUB_TOKEN or GITHUB_REPOSITORY"
        annotate("notice", f"{why}: not commenting; the summary follows", environ=env)
        print_untrusted(summary, environ=env)
        return ExitCode.OK
    try:
        with GitHubClient(settings, policy=policy) as client:
            if artifact is not None:
                verify_pr_head(client, artifact, expected_head_sha=expected)
            result = post_sticky_comment(client, pr_number=pr_number, summary=summary)
    except HeadMismatchError as exc:
        return fail(f"refused: {settings.redact(exc)}", ExitCode.NOT_MEASURED)
    except GitHubError as exc:
        return fail(f"error: commenting on PR #{pr_number} failed: {settings.redact(exc)}", ExitCode.FAILED)
    except Exception as exc:  # one line, never a traceback
        return fail(f"error: commenting on PR #{pr_number} failed: {settings.redact(exc)}", ExitCode.FAILED)
    print(f"{result.action} the load-test comment on PR #{pr_number}: {result.url}")
    return ExitCode.OK
