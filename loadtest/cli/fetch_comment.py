"""``loadtest fetch-comment``: a run's comment artifact, for the comment workflow.

``environ`` and ``policy`` let tests run it in-process against the fake GitHub server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail, log_to_stderr
from loadtest.config import ConfigError
from loadtest.exitcodes import ExitCode
from loadtest.github.actions import annotate, write_outputs
from loadtest.github.baseline import UnsafeArchiveError, check_out_dir, download_artifact, find_run_artifact
from loadtest.github.client import GitHubClient, GitHubError, GitHubSettings, RetryPolicy
from loadtest.github.comment_artifact import COMMENT_ARTIFACT_NAME, PR_NUMBER_FILE, pr_number_argument

FETCH_COMMENT_HELP = """\
Downloads the loadtest-comment artifact of a workflow run (the comment workflow's input)
and unpacks it safely into DIR. Its content stays untrusted: loadtest post-comment --artifact
validates it.

Exit codes:
  0  done, found or not; writes found=true|false to $GITHUB_OUTPUT (a run that failed
     before writing its comment has none: a notice says so)
  1  the GitHub API kept failing, or DIR could not be written
  2  bad input: the artifact is unsafe or malformed (nothing is written), bad --run-id,
     DIR not empty, malformed GITHUB_* settings
"""


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> int:
    parser = command_parser(
        "loadtest fetch-comment",
        "Fetch the comment artifact of a load-test run.",
        FETCH_COMMENT_HELP,
        one_line=True,
    )
    parser.add_argument(
        "--run-id", required=True, type=pr_number_argument, help="id of the run that uploaded it"
    )
    parser.add_argument("--out", required=True, type=Path, help="folder to unpack into (new or empty)")
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    log_to_stderr()
    try:
        check_out_dir(args.out)
        settings = GitHubSettings.from_environ(env)
    except (ValueError, ConfigError) as exc:
        return fail(f"error: {exc}", ExitCode.USAGE)
    if not settings.configured:
        return fail(
            "error: GITHUB_TOKEN and GITHUB_REPOSITORY are needed to read a run's artifacts", ExitCode.USAGE
        )
    try:
        with GitHubClient(settings, policy=policy) as client:
            artifact = find_run_artifact(client, args.run_id, COMMENT_ARTIFACT_NAME)
            if artifact is not None:
                download_artifact(client, int(artifact["id"]), args.out, required_file=PR_NUMBER_FILE)
    except UnsafeArchiveError as exc:
        return fail(f"error: comment artifact of run {args.run_id}: {settings.redact(exc)}", ExitCode.USAGE)
    except (GitHubError, OSError) as exc:
        return fail(f"error: comment artifact of run {args.run_id}: {settings.redact(exc)}", ExitCode.FAILED)
    if artifact is None:
        annotate(
            "notice",
            f"run {args.run_id} left no {COMMENT_ARTIFACT_NAME} artifact: nothing to post",
            environ=env,
        )
        write_outputs({"found": "false"}, environ=env)
        return ExitCode.OK
    print(f"comment artifact of run {args.run_id} unpacked into {args.out}")
    write_outputs({"found": "true"}, environ=env)
    return ExitCode.OK
