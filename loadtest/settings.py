"""The load test's settings, read from the environment once: ``Settings.from_environ()``.

Every ``LOADTEST_*`` variable is read here and nowhere else. Secrets (the password, the
access token, the API key) are ``repr=False``, so they never reach a log line or a
traceback through ``repr()``; ``secrets()`` lists them for masking the output of Locust.

=========================  ====================================================================
variable                   what it sets
=========================  ====================================================================
LOADTEST_HOST              the API's base URL; empty: the stand-in API on loopback
LOADTEST_API_KEY           the app's API key, sent as ``X-API-Token`` on every request (secret)
LOADTEST_EMAIL             the account the simulated users sign in with
LOADTEST_PASSWORD          its password (secret)
LOADTEST_TOKEN             a ready access token, instead of email and password (secret)
LOADTEST_RUN_TIME          shortens every run, e.g. ``10s`` for a rehearsal of the workflows
LOADTEST_COMMIT            the commit under test (CI sets the PR's head), else ``git rev-parse``
LOADTEST_PRODUCTION_HOSTS  more production hosts for the guard, comma-separated
LOADTEST_PRESETS_DIR       a folder of more presets (NAME.conf), e.g. a caller's of the GitHub Action
LOADTEST_SIDE              set by the runner, not read: ``head`` (or ``base``) for the commands of
                           an API started from a checkout (--setup, --start), to pick a database
LOADTEST_COMMENT_AUTHOR    the bot login the sticky comment is posted as, ``<app-slug>[bot]``,
                           when the token is a GitHub App's (it cannot learn its own login)
=========================  ====================================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.config import PRODUCTION_HOSTS, hostname
from loadtest.text import masking

_PREFIX = "LOADTEST_"


@dataclass(frozen=True, kw_only=True)
class Settings:
    host: str = ""
    api_key: str = field(default="", repr=False)
    email: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    run_time: str = ""
    commit: str = ""
    production_hosts: frozenset[str] = PRODUCTION_HOSTS
    presets_dir: Path | None = None
    """A folder of more presets besides the built-in ones (loadtest.presets); None: only those."""
    comment_author: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        extra = {h.strip().lower() for h in env.get("LOADTEST_PRODUCTION_HOSTS", "").split(",") if h.strip()}
        presets_dir = env.get("LOADTEST_PRESETS_DIR", "").strip()
        return cls(
            host=env.get("LOADTEST_HOST", "").strip(),
            api_key=env.get("LOADTEST_API_KEY", "").strip(),
            email=env.get("LOADTEST_EMAIL", "").strip(),
            password=env.get("LOADTEST_PASSWORD", ""),
            token=env.get("LOADTEST_TOKEN", "").strip(),
            run_time=env.get("LOADTEST_RUN_TIME", "").strip(),
            commit=env.get("LOADTEST_COMMIT", "").strip(),
            production_hosts=PRODUCTION_HOSTS | extra,
            presets_dir=Path(presets_dir) if presets_dir else None,
            comment_author=env.get("LOADTEST_COMMENT_AUTHOR", "").strip(),
        )

    @property
    def can_sign_in(self) -> bool:
        """An account to sign in with (and so to refresh and sign in again)."""
        return bool(self.email and self.password)

    @property
    def has_credentials(self) -> bool:
        return bool(self.token) or self.can_sign_in

    @property
    def token_only(self) -> bool:
        """A ready access token and no account: users can neither sign in nor refresh."""
        return bool(self.token) and not self.can_sign_in

    def is_production(self, url: str) -> bool:
        return hostname(url) in self.production_hosts

    def secrets(self) -> tuple[str, ...]:
        """Values that must be masked wherever output may be shown."""
        return tuple(s for s in (self.password, self.token, self.api_key) if s)

    @staticmethod
    def without_settings(environ: Mapping[str, str]) -> dict[str, str]:
        """``environ`` less every ``LOADTEST_*`` variable: for a child that must not see them
        (a benchmark's Locust: no credentials, no other host, no shortened runs)."""
        return {key: value for key, value in environ.items() if not key.startswith(_PREFIX)}

    @staticmethod
    def environ_for_server(*, side: str, api_key: str) -> dict[str, str]:
        """The variables the runner sets for the commands of an API it starts (loadtest.run.server):
        its side, and the API key the run sends (the setup creates it)."""
        return {"LOADTEST_SIDE": side, "LOADTEST_API_KEY": api_key}

    @staticmethod
    def environ_for_locust(*, api_key: str) -> dict[str, str]:
        """The variables a Locust child process reads, with the API key the run uses."""
        return {"LOADTEST_API_KEY": api_key} if api_key else {}


def know_settings(environ: Mapping[str, str] | None = None) -> masking.Masker:
    """The process's masker (masking.RUN), told the secrets of the settings in ``environ`` (default: this
    process's environment): for a step that writes what a run measured without having run it (the gate
    on a downloaded bundle)."""
    masking.RUN.add(*Settings.from_environ(environ).secrets())
    return masking.RUN
