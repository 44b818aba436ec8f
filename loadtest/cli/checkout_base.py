"""``loadtest checkout-base``: the pull request's base commit as a git worktree beside the head.

The action's step "Check out the base beside the head" calls it (loadtest.github.base_checkout).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail
from loadtest.exitcodes import ExitCode
from loadtest.github.base_checkout import CheckoutError, Credentials, check_out_base
from loadtest.github.commits import is_full_commit
from loadtest.github.environment import GitHubEnv

CHECKOUT_BASE_HELP = """\
The token (GITHUB_TOKEN) reaches git only in the fetch's environment, as an
http.<GITHUB_SERVER_URL>/.extraheader entry (GIT_CONFIG_COUNT/KEY/VALUE), masked
in the workflow's log first (inside GitHub Actions; never printed elsewhere); never
on a command line or in .git/config. A commit already in the clone is not fetched.

Exit codes:
  0  the base is checked out at --dir
  2  bad input: --commit is not a full commit id, or --repo is not a folder
  3  git could not fetch the base or check it out: the base cannot be measured
"""


def main(argv: Sequence[str] | None = None, *, environ: Mapping[str, str] | None = None) -> int:
    parser = command_parser(
        "loadtest checkout-base",
        "Check the pull request's base commit out as a detached git worktree beside the head, "
        "fetching it from origin only when the clone lacks it.",
        CHECKOUT_BASE_HELP,
    )
    parser.add_argument("--commit", required=True, help="the base's full commit id")
    parser.add_argument("--dir", required=True, type=Path, help="where the base's worktree goes")
    parser.add_argument(
        "--repo", type=Path, default=Path("."), help="the head's clone (default: the current folder)"
    )
    args = parser.parse_args(argv)
    env = os.environ if environ is None else environ
    if not is_full_commit(args.commit):
        return fail(
            f"loadtest checkout-base: error: --commit must be a full commit id, got {args.commit!r}",
            ExitCode.USAGE,
        )
    if not args.repo.is_dir():
        return fail(
            f"loadtest checkout-base: error: --repo {str(args.repo)!r} is not a folder", ExitCode.USAGE
        )
    github = GitHubEnv.from_environ(env)
    credentials = Credentials(github.server_url or "https://github.com", github.token)
    try:
        check_out_base(args.repo, args.commit, args.dir, credentials, environ=env)
    except CheckoutError as exc:
        return fail(f"loadtest checkout-base: error: {exc}", ExitCode.NOT_MEASURED)
    return ExitCode.OK
