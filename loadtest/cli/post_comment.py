"""``loadtest post-comment``: the sticky load-test comment on a pull request.

``environ`` and ``policy`` let tests run it in-process against the fake GitHub server.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail, log_to_stderr
from loadtest.config import ConfigError
from loadtest.exitcodes import ExitCode
from loadtest.github.actions import annotate, load_event, print_untrusted
from loadtest.github.client import GitHubClient, GitHubSettings, RetryPolicy
from loadtest.github.comment import comment_author, post_sticky_comment, pr_number_from_event
from loadtest.github.comment_artifact import (
    MAX_SUMMARY_BYTES,
    HeadMismatchError,
    InvalidArtifactError,
    TestedHead,
    pr_number_argument,
    provenance_line,
    read_comment_artifact,
    read_summary,
    read_untrusted_text,
    verify_pr_head,
)
from loadtest.settings import Settings

POST_COMMENT_HELP = """\
The PR number comes from --pr, the validated --artifact, or the pull_request event payload.
With --artifact (the fork-safe comment workflow) the files are untrusted: the PR number
must be digits only, the head SHA 40 hex, and the PR must be the run's: its current head
commit, head repository and head branch must be those of the run that produced the artifact
(--expected-head-sha, --expected-head-repository, --expected-head-branch; default: the
workflow_run event's). The summary is sanitised (no live mention, reference, link, image or
HTML) and a line saying which run's artifact it is goes under it. With no token or no PR the
summary is printed instead.

The comment updated is the earliest that starts with the marker and whose author is the
token's identity: GET /user for a personal access token, github-actions[bot] for the
workflow's token, and for a GitHub App's token the login given by --comment-author or
LOADTEST_COMMENT_AUTHOR (<app-slug>[bot]). Nobody else's comment is ever edited.

Exit codes:
  0  comment created, updated or already current; or nothing to post to (notice printed)
  1  GitHub refused or kept failing after bounded retries
  2  bad input: unreadable summary, invalid artifact, bad --pr or --comment-author,
     malformed GITHUB_* settings
  3  refused: the PR is not the run's, or not at the commit that was tested (nothing posted)
"""

_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> int:
    args = _parse(argv)
    env = os.environ if environ is None else environ
    log_to_stderr()
    try:
        settings = GitHubSettings.from_environ(env)
        app_login = _login(args.comment_author or Settings.from_environ(env).comment_author)
        event = load_event(settings.event_path)
        if args.artifact is not None:
            artifact = read_comment_artifact(args.artifact)
            tested = TestedHead.from_event(
                event,
                sha=args.expected_head_sha or "",
                repository=args.expected_head_repository or "",
                branch=args.expected_head_branch or "",
            )
            summary = artifact.summary
            if args.summary is not None:
                summary = read_untrusted_text(args.summary, max_bytes=MAX_SUMMARY_BYTES)
            pr_number, provenance = artifact.pr_number, provenance_line(event)
        else:
            artifact, tested, provenance = None, None, ""
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
            if artifact is not None and tested is not None:
                verify_pr_head(client, artifact, tested=tested)
            author = comment_author(client, app_login=app_login)
            result = post_sticky_comment(
                client, pr_number=pr_number, summary=summary, author=author, provenance=provenance
            )
    except HeadMismatchError as exc:
        return fail(f"refused: {settings.redact(exc)}", ExitCode.NOT_MEASURED)
    except Exception as exc:  # GitHubError, or anything else: one line, never a traceback
        return fail(f"error: commenting on PR #{pr_number} failed: {settings.redact(exc)}", ExitCode.FAILED)
    print(f"{result.action} the load-test comment on PR #{pr_number} as {author}: {result.url}")
    return ExitCode.OK


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "loadtest post-comment",
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
    parser.add_argument("--expected-head-repository", metavar="OWNER/NAME", help="its head repository")
    parser.add_argument("--expected-head-branch", metavar="BRANCH", help="its head branch")
    parser.add_argument(
        "--comment-author",
        metavar="LOGIN",
        help="the bot login of a GitHub App token, <app-slug>[bot] (default: $LOADTEST_COMMENT_AUTHOR)",
    )
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.summary is None and args.artifact is None:
        parser.error("give --summary FILE, or --artifact DIR")
    if args.artifact is not None and args.pr is not None:
        parser.error("--pr cannot be combined with --artifact: the artifact names the PR")
    expected = (args.expected_head_sha, args.expected_head_repository, args.expected_head_branch)
    if any(expected) and args.artifact is None:
        parser.error("--expected-head-* only make sense with --artifact")
    return args


def _login(text: str) -> str:
    if text and not _LOGIN.fullmatch(text):
        raise ConfigError(f"--comment-author / LOADTEST_COMMENT_AUTHOR {text[:50]!r} is not a GitHub login")
    return text
