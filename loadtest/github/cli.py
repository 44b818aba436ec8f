"""The command lines behind the GitHub scripts: fetch_baseline, post_comment, write_comment_artifact.

Each ``main`` returns an exit code and prints errors as one line, never a traceback
and never the token. ``environ`` and ``policy`` let tests run them in-process
against the fake GitHub server with small timeouts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from loadtest.config import ConfigError
from loadtest.github.actions import annotate, load_event, print_untrusted, write_outputs
from loadtest.github.baseline import (
    DEFAULT_BRANCH,
    DEFAULT_WORKFLOW,
    UnpackLimits,
    UnsafeArchiveError,
    baseline_artifact_name,
    check_out_dir,
    download_artifact,
    fetch_baseline,
    find_run_artifact,
    validate_workflow,
)
from loadtest.github.client import GitHubClient, GitHubError, GitHubSettings, RetryPolicy
from loadtest.github.comment import post_sticky_comment, pr_number_from_event
from loadtest.github.comment_artifact import (
    COMMENT_ARTIFACT_NAME,
    MAX_SUMMARY_BYTES,
    PR_NUMBER_FILE,
    HeadMismatchError,
    InvalidArtifactError,
    parse_head_sha,
    parse_pr_number,
    read_comment_artifact,
    read_untrusted_text,
    verify_pr_head,
    write_comment_artifact,
)
from loadtest.summary_limits import SUMMARY_MARKER

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3

FETCH_BASELINE_HELP = """\
Exit codes:
  0  done, baseline found or not. A GitHub API that keeps failing after retries, or an
     unsafe artifact, also ends here with found=false and a ::warning:: annotation:
     a flaky API must not fail a PR check. No token or repository (local use): a notice.
  1  the baseline could not be written locally (disk full, permissions) or an unexpected error
  2  usage error: bad arguments, DIR not empty, malformed GITHUB_* settings

Step outputs (appended to $GITHUB_OUTPUT when set):
  found=true|false, run-id=<id of the run it came from>, head-sha=<its commit> (empty when not found)
"""

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

FETCH_COMMENT_HELP = """\
Downloads the loadtest-comment artifact of a workflow run (the comment workflow's input)
and unpacks it safely into DIR. Its content stays untrusted: post_comment.py --artifact
validates it.

Exit codes:
  0  done, found or not; writes found=true|false to $GITHUB_OUTPUT (a run that failed
     before writing its comment has none: a notice says so)
  1  the GitHub API kept failing, or the artifact is unsafe (nothing is written)
  2  usage error: bad --run-id, DIR not empty, malformed GITHUB_* settings
"""

WRITE_ARTIFACT_HELP = """\
Writes summary.md, pr-number and head-sha into DIR, the layout post_comment.py --artifact
reads. A summary longer than a GitHub comment allows is trimmed with a note. A missing
summary (the run failed before the gate) becomes a short "no result" summary, so the
pull request still hears about it.

Exit codes:
  0  written
  2  bad input: unreadable summary, PR number or head SHA malformed
"""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def fetch_baseline_main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    limits: UnpackLimits | None = None,
) -> int:
    parser = OneLineParser(
        prog="fetch_baseline.py",
        description="Fetch the newest baseline results bundle of a preset from the default branch.",
        epilog=FETCH_BASELINE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--preset", required=True, help="preset name, e.g. smoke")
    parser.add_argument(
        "--out", required=True, type=Path, help="folder to unpack the bundle into (new or empty)"
    )
    parser.add_argument(
        "--workflow", default=DEFAULT_WORKFLOW, help=f"workflow file (default {DEFAULT_WORKFLOW})"
    )
    parser.add_argument("--branch", help="default: the repository's default branch from the event, else main")
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    _log_to_stderr()
    try:
        name = baseline_artifact_name(args.preset)
        validate_workflow(args.workflow)
        check_out_dir(args.out)
        settings = GitHubSettings.from_environ(env)
    except (ValueError, ConfigError) as exc:
        return _fail(f"error: {exc}", EXIT_USAGE)
    branch = args.branch or _default_branch(load_event(settings.event_path))
    not_found = {"found": "false", "run-id": "", "head-sha": ""}
    if not settings.configured:
        annotate("notice", "no GITHUB_TOKEN or GITHUB_REPOSITORY: running without a baseline", environ=env)
        write_outputs(not_found, environ=env)
        return EXIT_OK
    try:
        with GitHubClient(settings, policy=policy) as client:
            baseline = fetch_baseline(
                client,
                preset=args.preset,
                out_dir=args.out,
                workflow=args.workflow,
                branch=branch,
                limits=limits,
            )
    except (GitHubError, UnsafeArchiveError) as exc:
        annotate("warning", f"no baseline for {args.preset}: {_redact(exc, settings)}", environ=env)
        write_outputs(not_found, environ=env)
        return EXIT_OK
    except Exception as exc:  # one line, never a traceback
        return _fail(
            f"error: could not fetch the baseline into {args.out}: {_redact(exc, settings)}", EXIT_FAILED
        )
    if baseline is None:
        annotate(
            "notice",
            f"no baseline yet for {args.preset}: no unexpired {name} artifact from a successful "
            f"push or schedule run of {args.workflow} on {branch}",
            environ=env,
        )
        write_outputs(not_found, environ=env)
        return EXIT_OK
    found = baseline.artifact
    print(
        f"baseline for {args.preset}: run {found.run_id} at commit {found.head_sha[:12]} "
        f"(artifact of {found.created_at}), unpacked into {baseline.path}"
    )
    write_outputs({"found": "true", "run-id": str(found.run_id), "head-sha": found.head_sha}, environ=env)
    return EXIT_OK


def post_comment_main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> int:
    parser = OneLineParser(
        prog="post_comment.py",
        description="Post or update the sticky load-test summary comment on a pull request.",
        epilog=POST_COMMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--summary", type=Path, help="markdown summary (default with --artifact: its summary.md)"
    )
    parser.add_argument("--pr", type=_pr_argument, help="pull request number (default: from the event)")
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
    _log_to_stderr()
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
            summary = _read_summary(args.summary)
            pr_number = args.pr or pr_number_from_event(event)
    except (InvalidArtifactError, ConfigError, OSError) as exc:
        return _fail(f"error: {exc}", EXIT_USAGE)
    if not settings.configured or pr_number is None:
        why = "no pull request number" if settings.configured else "no GITHUB_TOKEN or GITHUB_REPOSITORY"
        annotate("notice", f"{why}: not commenting; the summary follows", environ=env)
        print_untrusted(summary, environ=env)
        return EXIT_OK
    try:
        with GitHubClient(settings, policy=policy) as client:
            if artifact is not None:
                verify_pr_head(client, artifact, expected_head_sha=expected)
            result = post_sticky_comment(client, pr_number=pr_number, summary=summary)
    except HeadMismatchError as exc:
        return _fail(f"refused: {_redact(exc, settings)}", EXIT_REFUSED)
    except GitHubError as exc:
        return _fail(f"error: commenting on PR #{pr_number} failed: {_redact(exc, settings)}", EXIT_FAILED)
    except Exception as exc:  # one line, never a traceback
        return _fail(f"error: commenting on PR #{pr_number} failed: {_redact(exc, settings)}", EXIT_FAILED)
    print(f"{result.action} the load-test comment on PR #{pr_number}: {result.url}")
    return EXIT_OK


def fetch_comment_main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> int:
    parser = OneLineParser(
        prog="fetch_comment.py",
        description="Fetch the comment artifact of a load-test run.",
        epilog=FETCH_COMMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--run-id", required=True, type=_pr_argument, help="id of the run that uploaded it")
    parser.add_argument("--out", required=True, type=Path, help="folder to unpack into (new or empty)")
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    _log_to_stderr()
    try:
        check_out_dir(args.out)
        settings = GitHubSettings.from_environ(env)
    except (ValueError, ConfigError) as exc:
        return _fail(f"error: {exc}", EXIT_USAGE)
    if not settings.configured:
        return _fail(
            "error: GITHUB_TOKEN and GITHUB_REPOSITORY are needed to read a run's artifacts", EXIT_USAGE
        )
    try:
        with GitHubClient(settings, policy=policy) as client:
            artifact = find_run_artifact(client, args.run_id, COMMENT_ARTIFACT_NAME)
            if artifact is not None:
                download_artifact(client, int(artifact["id"]), args.out, required_file=PR_NUMBER_FILE)
    except (GitHubError, UnsafeArchiveError) as exc:
        return _fail(f"error: comment artifact of run {args.run_id}: {_redact(exc, settings)}", EXIT_FAILED)
    if artifact is None:
        annotate(
            "notice",
            f"run {args.run_id} left no {COMMENT_ARTIFACT_NAME} artifact: nothing to post",
            environ=env,
        )
        write_outputs({"found": "false"}, environ=env)
        return EXIT_OK
    print(f"comment artifact of run {args.run_id} unpacked into {args.out}")
    write_outputs({"found": "true"}, environ=env)
    return EXIT_OK


def write_comment_artifact_main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(
        prog="write_comment_artifact.py",
        description="Write the comment artifact a PR run uploads for the comment workflow.",
        epilog=WRITE_ARTIFACT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--summary", required=True, type=Path, help="markdown summary")
    parser.add_argument("--pr", required=True, type=_pr_argument, help="pull request number")
    parser.add_argument("--head-sha", required=True, help="40-hex commit the run tested")
    parser.add_argument("--out", required=True, type=Path, help="folder to write into")
    args = parser.parse_args(argv)
    try:
        summary = _read_summary(args.summary) if args.summary.exists() else _no_summary(args.summary)
        write_comment_artifact(args.out, summary=summary, pr_number=args.pr, head_sha=args.head_sha)
    except (InvalidArtifactError, OSError) as exc:
        return _fail(f"error: {exc}", EXIT_USAGE)
    print(f"comment artifact for PR #{args.pr} written to {args.out}")
    return EXIT_OK


def _no_summary(path: Path, environ: Mapping[str, str] | None = None) -> str:
    """What the PR is told when the run ended before the gate wrote a summary."""
    env = os.environ if environ is None else environ
    run = env.get("GITHUB_RUN_ID", "")
    server, repo = env.get("GITHUB_SERVER_URL", "https://github.com"), env.get("GITHUB_REPOSITORY", "")
    where = f"[the run's log]({server}/{repo}/actions/runs/{run})" if run and repo else "the run's log"
    return (
        f"{SUMMARY_MARKER}\n### ❌ Load test: no result\n\n"
        f"The load test ended before the gate wrote its summary ({path} is missing), "
        f"so this change was not measured. See {where} for why.\n"
    )


def _pr_argument(text: str) -> int:
    try:
        return parse_pr_number(text)
    except InvalidArtifactError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer") from None


def _read_summary(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidArtifactError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise OSError(f"cannot read the summary {path}: {exc.strerror or exc}") from None


def _default_branch(event: dict) -> str:
    branch = (event.get("repository") or {}).get("default_branch")
    return branch if isinstance(branch, str) and branch else DEFAULT_BRANCH


def _redact(exc: BaseException, settings: GitHubSettings) -> str:
    """The error as one line, with the token blanked should any message ever echo it."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message.replace(settings.token, "***") if settings.token else message


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr, flush=True)
    return code


def _log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
