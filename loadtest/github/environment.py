"""The one reader of GitHub's environment: the ``GITHUB_*`` variables the Actions runner sets.

Every module that needs one takes it from ``GitHubEnv.from_environ()``, as every ``LOADTEST_*``
setting comes from loadtest.settings.Settings. Values are as the runner set them, stripped of
surrounding blanks; an unset variable is ``""``. What a value means, and its default when empty,
is for the module that uses it. Standard library only: ``loadtest plan`` needs nothing else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

_PREFIX = "GITHUB_"


@dataclass(frozen=True, kw_only=True)
class GitHubEnv:
    actions: str = ""
    """GITHUB_ACTIONS: ``true`` on an Actions runner."""
    api_url: str = ""
    """GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server."""
    server_url: str = ""
    """GITHUB_SERVER_URL: https://github.com, or the Enterprise Server's address."""
    repository: str = ""
    """GITHUB_REPOSITORY: owner/name."""
    token: str = field(default="", repr=False)
    """GITHUB_TOKEN: a secret; never in a repr, a log line or a report."""
    event_name: str = ""
    """GITHUB_EVENT_NAME: pull_request, push, schedule, workflow_dispatch, ..."""
    event_path: str = ""
    """GITHUB_EVENT_PATH: the JSON payload of the event that started the workflow."""
    ref: str = ""
    """GITHUB_REF: refs/heads/main, refs/pull/7/merge, ..."""
    workflow_ref: str = ""
    """GITHUB_WORKFLOW_REF: ``owner/repo/.github/workflows/NAME.yml@refs/heads/main``."""
    workspace: str = ""
    """GITHUB_WORKSPACE: the caller's checkout."""
    run_id: str = ""
    """GITHUB_RUN_ID: this workflow run's number."""
    run_attempt: str = ""
    """GITHUB_RUN_ATTEMPT: 1, then 2, ... on a re-run."""
    output: str = ""
    """GITHUB_OUTPUT: the file a step appends its ``key=value`` outputs to."""
    step_summary: str = ""
    """GITHUB_STEP_SUMMARY: the file a step appends its markdown summary to."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> GitHubEnv:
        """The variables of ``environ`` (default: this process's environment)."""
        env = os.environ if environ is None else environ
        return cls(**{f.name: env.get(variable(f.name), "").strip() for f in fields(cls)})

    @property
    def in_actions(self) -> bool:
        return self.actions == "true"


def variable(name: str) -> str:
    """The environment variable of GitHubEnv's field ``name``: ``run_id`` → ``GITHUB_RUN_ID``."""
    return _PREFIX + name.upper()
