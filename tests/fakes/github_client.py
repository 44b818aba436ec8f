"""Clients and environments aimed at the fake GitHub server, with timeouts small enough for tests."""

from __future__ import annotations

import time

from loadtest.github.client import GitHubClient, GitHubSettings, RetryPolicy
from tests.fakes.github_server import FakeGitHub

TOKEN = "ghs_SECRETtokenNEVERprinted0123456789"
"""Distinctive, so a test can assert it appears in no output."""

FAST_RETRIES = RetryPolicy(
    max_attempts=4,
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    max_wait_s=30.0,
    max_total_wait_s=60.0,
    connect_timeout_s=1.0,
    read_timeout_s=0.5,
)
"""Real HTTP, tiny waits: a hanging answer times out in half a second."""


def client_for(
    github: FakeGitHub, *, sleeps: list[float] | None = None, policy: RetryPolicy = FAST_RETRIES
) -> GitHubClient:
    """A client for the fake; with ``sleeps`` its waits are recorded instead of slept."""
    settings = GitHubSettings(api_url=github.url, repository=github.repository, token=TOKEN)
    return GitHubClient(settings, policy=policy, sleep=time.sleep if sleeps is None else sleeps.append)


def github_env(github: FakeGitHub | None, **extra: str) -> dict[str, str]:
    """The variables that aim a script at the fake (none without one), and ``extra``, for ``run_loadtest``."""
    return {**(github.environ(token=TOKEN) if github is not None else {}), **extra}
