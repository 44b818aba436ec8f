"""The one place for endpoints, credentials and constants.

Everything that names a path of the Amal Education API, a production host, or
a secret lives here, so the locustfile, the stand-in API, the runner and the
gate never disagree about them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class Endpoint:
    """One API endpoint as the load test names it in Locust's statistics."""

    method: str
    path: str
    auth: bool = True
    """Whether the endpoint needs `Authorization: Bearer <access>`."""

    @property
    def name(self) -> str:
        """The stats name, e.g. ``GET /api/dashboard/``: also the thresholds.json key."""
        return f"{self.method} {self.path}"


SIGN_UP = Endpoint("POST", "/api/accounts/sign-up/", auth=False)
SIGN_IN = Endpoint("POST", "/api/accounts/sign-in/", auth=False)
TOKEN_REFRESH = Endpoint("POST", "/api/accounts/token/refresh/", auth=False)
DASHBOARD = Endpoint("GET", "/api/dashboard/")
SEARCH = Endpoint("GET", "/api/dashboard/v2/search/")
TOOLS_AND_TEMPLATES = Endpoint("GET", "/api/ai-assistant/tools-and-template/")
MYSTERY_BOX = Endpoint("GET", "/api/ai-assistant/random-mystery-box/")
CHAT_THREAD = Endpoint("POST", "/api/ai-assistant/chat/thread/")
MY_COLLECTIONS = Endpoint("GET", "/api/ai-assistant/my-collection/")
LIBRARY = Endpoint("GET", "/api/ai-assistant/library/")
CREATE_COLLECTION = Endpoint("POST", "/api/ai-assistant/create-collection/")
HELP_ARTICLES = Endpoint("GET", "/api/help-center/help-articles/", auth=False)
CONTACT_US = Endpoint("POST", "/api/help-center/contact-us/")

ENDPOINTS: tuple[Endpoint, ...] = (
    SIGN_UP,
    SIGN_IN,
    TOKEN_REFRESH,
    DASHBOARD,
    SEARCH,
    TOOLS_AND_TEMPLATES,
    MYSTERY_BOX,
    CHAT_THREAD,
    MY_COLLECTIONS,
    LIBRARY,
    CREATE_COLLECTION,
    HELP_ARTICLES,
    CONTACT_US,
)
"""The 13 endpoints the load test exercises, in the order the task sets use them."""

PRODUCTION_HOSTS: frozenset[str] = frozenset({"backend.amal.education"})
"""Hosts that serve real users: heavy presets and writes are refused against them.
LOADTEST_PRODUCTION_HOSTS (comma-separated) adds more, e.g. a production mirror."""

DEFAULT_WAIT_S = (1.0, 3.0)
"""A user's wait between tasks, shortest and longest, unless a preset sets wait-min/wait-max."""

REQUEST_TIMEOUT_S = 10.0
"""Connection and network timeout of every request: a hung target cannot hang a run."""

LOOPBACK_HOSTS: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def validate_host(url: str) -> str:
    """Return ``url`` without a trailing slash, or raise ConfigError if it is not http(s)://host[:port]."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"host {redact_url(url)!r} is not a URL like https://staging.example.com or http://127.0.0.1:8000"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"host {redact_url(url)!r} must not carry a query or a fragment")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError as exc:
        raise ConfigError(f"host {redact_url(url)!r} has an invalid port") from exc
    return url.rstrip("/")


def redact_url(url: str) -> str:
    """The URL without any user:password@ part, safe for logs and reports."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def hostname(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def production_hosts(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    env = os.environ if environ is None else environ
    extra = {h.strip().lower() for h in env.get("LOADTEST_PRODUCTION_HOSTS", "").split(",") if h.strip()}
    return PRODUCTION_HOSTS | extra


def is_production(url: str) -> bool:
    return hostname(url) in production_hosts()


def is_loopback(url: str) -> bool:
    return hostname(url) in LOOPBACK_HOSTS


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """How simulated users authenticate against a real host.

    Secrets are ``repr=False`` so that they never reach a log line, a traceback
    or a report through ``repr()``.
    """

    email: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    """A ready-made access token (LOADTEST_TOKEN), for hosts where sign-in is not wanted."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        env = os.environ if environ is None else environ
        return cls(
            email=env.get("LOADTEST_EMAIL", "").strip(),
            password=env.get("LOADTEST_PASSWORD", ""),
            token=env.get("LOADTEST_TOKEN", "").strip(),
        )

    @property
    def present(self) -> bool:
        return bool(self.token or (self.email and self.password))

    def secrets(self) -> tuple[str, ...]:
        """Values that must be masked wherever output may be shown."""
        return tuple(s for s in (self.password, self.token) if s)


def host_from_environ(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("LOADTEST_HOST", "").strip()
