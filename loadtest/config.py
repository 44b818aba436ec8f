"""Constants and host helpers: production hosts, loopback, timeouts, URL checks.

The endpoints are the contract's (``loadtest.contract``); the settings read from the
environment are ``loadtest.settings``.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

PRODUCTION_HOSTS: frozenset[str] = frozenset({"backend.amal.education"})
"""Hosts that serve real users: heavy presets and writes are refused against them.
LOADTEST_PRODUCTION_HOSTS (comma-separated) adds more, e.g. a production mirror."""

DEFAULT_WAIT_S = (1.0, 3.0)
"""A user's wait between tasks, shortest and longest, unless a preset sets wait-min/wait-max."""

REQUEST_TIMEOUT_S = 10.0
"""Connection and network timeout of every request: a hung target cannot hang a run."""

LOOPBACK_HOSTS: frozenset[str] = frozenset({"127.0.0.1", "localhost", "::1"})

DEFAULT_WORKFLOW = "loadtest.yml"
"""The load-test workflow's file, whose runs hold the baselines, when GITHUB_WORKFLOW_REF does not say."""


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def validate_host(url: str) -> str:
    """Return ``url`` without a trailing slash, or raise ConfigError if it is not http(s)://host[:port]."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # an unclosed IPv6 bracket: http://[::1
        raise ConfigError(f"host {redact_url(url)!r} is not a URL: {exc}") from None
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
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL urllib can split; the one masking still hides its credentials
        from loadtest.text.masking import mask

        return mask(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def hostname(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def is_loopback(url: str) -> bool:
    return hostname(url) in LOOPBACK_HOSTS
