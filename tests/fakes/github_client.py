"""Clients and environments aimed at the fake GitHub server, with timeouts small enough for tests."""

from __future__ import annotations

import os
import time
from pathlib import Path

from loadtest.github.client import GitHubClient, GitHubSettings, RetryPolicy
from tests.fakes.github_server import FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
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


def script_environ(github: FakeGitHub | None, **extra: str) -> dict[str, str]:
    """The process environment for a script run: no GITHUB_* from the outside, the fake's if given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "ACT"}
    if github is not None:
        env.update(github.environ(token=TOKEN))
    env.update(extra)
    return env
