"""The pull request's base commit checked out beside the head, without persisting any credentials.

The action's checkout of the head may keep no credentials (``persist-credentials: false``, which a
private repository's careful workflow uses), so a plain ``git fetch origin SHA`` fails there. Here:

* a base commit already in the clone (``fetch-depth: 0``) is not fetched at all;
* otherwise the fetch gets the workflow's token for that one git command only, in the environment
  (``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``, as actions/checkout sets
  ``http.<server>/.extraheader``): never on a command line (another process may read it), never in
  .git/config (the pull request's own code runs next, in this very clone). Inside GitHub Actions
  the token is masked in the workflow's log (``::add-mask::``) before git runs (elsewhere that line
  would print it); an empty value first resets any header the checkout persisted, so git sends one
  Authorization header, not two;
* then ``git worktree add --detach DIR SHA``.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.github.environment import GitHubEnv
from loadtest.text import masking

GIT_TIMEOUT_S = 300.0
"""How long one git command may take (a fetch of a large repository's history) before it is stopped."""


class CheckoutError(Exception):
    """git could not fetch the base or check it out: the message says which command and why."""


@dataclass(frozen=True)
class Credentials:
    """The token for one fetch from ``server_url`` (GITHUB_SERVER_URL); never in a repr."""

    server_url: str = "https://github.com"
    token: str = field(default="", repr=False)

    def header(self) -> str:
        """The Authorization header actions/checkout gives git: basic, user ``x-access-token``."""
        basic = base64.b64encode(f"x-access-token:{self.token}".encode()).decode("ascii")
        return f"AUTHORIZATION: basic {basic}"

    def secrets(self) -> tuple[str, ...]:
        """What must never be printed: the token and its header's encoded form."""
        return (self.token, self.header().split()[-1]) if self.token else ()

    def git_environ(self, environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` plus the header for this server, as two more GIT_CONFIG_* entries: an empty one
        that resets the headers set so far, then ours."""
        if not self.token:
            return dict(environ)
        count = _config_count(environ)
        key = f"http.{self.server_url.rstrip('/')}/.extraheader"
        return {
            **environ,
            f"GIT_CONFIG_KEY_{count}": key,
            f"GIT_CONFIG_VALUE_{count}": "",
            f"GIT_CONFIG_KEY_{count + 1}": key,
            f"GIT_CONFIG_VALUE_{count + 1}": self.header(),
            "GIT_CONFIG_COUNT": str(count + 2),
        }


def _config_count(environ: Mapping[str, str]) -> int:
    """GIT_CONFIG_COUNT as git reads it (entries another step set); CheckoutError when it is no count,
    which git itself would refuse."""
    text = environ.get("GIT_CONFIG_COUNT") or "0"
    if not text.isdigit():
        raise CheckoutError(f"GIT_CONFIG_COUNT in the environment is not a count of entries: {text!r}")
    return int(text)


def check_out_base(
    clone: Path,
    commit: str,
    folder: Path,
    credentials: Credentials,
    *,
    environ: Mapping[str, str] | None = None,
    say: Callable[[str], None] = print,
) -> bool:
    """Check ``commit`` out as a detached worktree at ``folder`` of ``clone``, fetching it first from
    ``origin`` when the clone lacks it; whether it was fetched. CheckoutError when git fails."""
    environ = dict(os.environ if environ is None else environ)
    # Only a workflow's log hides what ::add-mask:: names: anywhere else the line prints the token.
    if GitHubEnv.from_environ(environ).in_actions:
        for secret in credentials.secrets():
            say(f"::add-mask::{secret}")
    fetched = not has_commit(clone, commit)
    if fetched:
        say(f"checkout-base: fetching the base commit {commit} from origin")
        fetch_environ = credentials.git_environ({**environ, "GIT_TERMINAL_PROMPT": "0"})
        _git(clone, ["fetch", "--no-tags", "--depth=1", "origin", commit], fetch_environ, credentials)
    else:
        say(f"checkout-base: the base commit {commit} is already in the clone: not fetched")
    # git runs in the clone: a relative folder is this process's, not the clone's.
    _git(clone, ["worktree", "add", "--detach", str(Path(folder).absolute()), commit], environ, credentials)
    return fetched


def has_commit(clone: Path, commit: str) -> bool:
    """Whether the clone holds ``commit`` (``git cat-file -e SHA^{commit}``); CheckoutError when git
    cannot run there."""
    try:
        done = subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"],
            cwd=clone,
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CheckoutError(f"git cat-file in {clone} did not run to its end: {exc}") from None
    return done.returncode == 0


def _git(clone: Path, args: list[str], environ: dict[str, str], credentials: Credentials) -> None:
    """Run one git command in the clone; CheckoutError with its output (secrets masked) when it fails."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=clone,
            env=environ,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CheckoutError(f"git {args[0]} in {clone} did not run to its end: {exc}") from None
    if done.returncode != 0:
        output = masking.Masker(credentials.secrets()).mask((done.stderr or done.stdout).strip())
        raise CheckoutError(f"git {args[0]} in {clone} failed (exit status {done.returncode}): {output}")
