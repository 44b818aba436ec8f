"""``loadtest fetch-baseline``: the newest baseline bundle of a preset.

``environ``, ``policy`` and ``limits`` let tests run it in-process against the fake GitHub server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail, log_to_stderr
from loadtest.config import ConfigError
from loadtest.exitcodes import ExitCode
from loadtest.github.actions import annotate, default_branch, load_event, write_outputs
from loadtest.github.baseline import (
    DEFAULT_WORKFLOW,
    UnpackLimits,
    UnsafeArchiveError,
    baseline_artifact_name,
    check_out_dir,
    fetch_baseline,
    validate_workflow,
)
from loadtest.github.client import GitHubClient, GitHubError, GitHubSettings, RetryPolicy

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


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    limits: UnpackLimits | None = None,
) -> int:
    parser = command_parser(
        "loadtest fetch-baseline",
        "Fetch the newest baseline results bundle of a preset from the default branch.",
        FETCH_BASELINE_HELP,
        one_line=True,
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
    log_to_stderr()
    try:
        name = baseline_artifact_name(args.preset)
        validate_workflow(args.workflow)
        check_out_dir(args.out)
        settings = GitHubSettings.from_environ(env)
        branch = args.branch or default_branch(load_event(settings.event_path))
    except (ValueError, ConfigError) as exc:
        return fail(f"error: {exc}", ExitCode.USAGE)
    not_found = {"found": "false", "run-id": "", "head-sha": ""}
    if not settings.configured:
        annotate("notice", "no GITHUB_TOKEN or GITHUB_REPOSITORY: running without a baseline", environ=env)
        write_outputs(not_found, environ=env)
        return ExitCode.OK
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
        annotate("warning", f"no baseline for {args.preset}: {settings.redact(exc)}", environ=env)
        write_outputs(not_found, environ=env)
        return ExitCode.OK
    except Exception as exc:  # one line, never a traceback
        return fail(
            f"error: could not fetch the baseline into {args.out}: {settings.redact(exc)}", ExitCode.FAILED
        )
    if baseline is None:
        annotate(
            "notice",
            f"no baseline yet for {args.preset}: no unexpired {name} artifact from a successful "
            f"push or schedule run of {args.workflow} on {branch}",
            environ=env,
        )
        write_outputs(not_found, environ=env)
        return ExitCode.OK
    found = baseline.artifact
    print(
        f"baseline for {args.preset}: run {found.run_id} at commit {found.head_sha[:12]} "
        f"(artifact of {found.created_at}), unpacked into {baseline.path}"
    )
    write_outputs({"found": "true", "run-id": str(found.run_id), "head-sha": found.head_sha}, environ=env)
    return ExitCode.OK
