"""The one GitHub REST client: settings from the environment, retries, rate limits, pagination.

Both workflow scripts go through ``GitHubClient``. It reads ``GITHUB_API_URL``,
``GITHUB_REPOSITORY`` and ``GITHUB_TOKEN`` as Actions sets them, gives every call
connect and read timeouts, and retries what is safe to retry, within a bounded
number of attempts and a bounded total wait:

- 5xx answers, timeouts and connection errors, for idempotent methods (GET, PATCH, ...);
- rate limits (403 or 429): ``retry-after`` if given, else until ``x-ratelimit-reset``
  when ``x-ratelimit-remaining`` is 0, else exponential backoff.

A POST that times out or gets a 5xx may have been applied, so it is not retried:
``AmbiguousWriteError`` tells the caller to look before writing again.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from loadtest.config import ConfigError, validate_host
from loadtest.github.environment import GitHubEnv

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
USER_AGENT = "amal-loadtest"
MAX_PAGES = 200
"""Pagination stops here (20,000 items at 100 a page): a loop in Link headers cannot spin forever."""

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_TOKEN_SHAPES = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")
"""GitHub's token formats: classic and fine-grained personal, OAuth, user, server and refresh tokens."""

log = logging.getLogger(__name__)


class GitHubError(Exception):
    """A GitHub call failed for good. The message is one line, safe to print: it never holds the token."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AmbiguousWriteError(GitHubError):
    """A non-idempotent write may or may not have been applied: look at the state before writing again."""


@dataclass(frozen=True, kw_only=True)
class GitHubSettings:
    """Where the API is, which repository, and the token; as GitHub Actions sets them."""

    api_url: str = DEFAULT_API_URL
    """GITHUB_API_URL: https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise Server."""
    repository: str = ""
    """GITHUB_REPOSITORY: owner/name."""
    token: str = field(default="", repr=False)
    """GITHUB_TOKEN: empty for local use, where the scripts only print what they would do."""
    event_path: str = ""
    """GITHUB_EVENT_PATH: the JSON payload of the event that started the workflow."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_url", validate_host(self.api_url))
        if self.repository and not _REPOSITORY.fullmatch(self.repository):
            raise ConfigError(f"GITHUB_REPOSITORY {self.repository!r} is not of the form owner/name")

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> GitHubSettings:
        github = GitHubEnv.from_environ(environ)
        return cls(
            api_url=github.api_url or DEFAULT_API_URL,
            repository=github.repository,
            token=github.token,
            event_path=github.event_path,
        )

    @property
    def configured(self) -> bool:
        """Whether there is enough to call the API: a token and a repository."""
        return bool(self.token and self.repository)

    def redact(self, what: BaseException | str) -> str:
        """An error or a log line as one line, with the token, and anything shaped like a GitHub
        token, blanked should a message ever echo it: the one redaction of every line we print."""
        message = " ".join(str(what).split()) or type(what).__name__
        if self.token:
            message = message.replace(self.token, "***")
        return _TOKEN_SHAPES.sub("***", message)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How long the client may keep trying. Tests pass small numbers to stay fast."""

    max_attempts: int = 5
    backoff_base_s: float = 1.0
    """First backoff; doubled on each attempt up to backoff_max_s."""
    backoff_max_s: float = 16.0
    max_wait_s: float = 60.0
    """Longest single wait; a retry-after or rate-limit reset further away gives up instead."""
    max_total_wait_s: float = 120.0
    """All waits of one call together; a CI step must not idle for an hour on a rate limit."""
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout_s, self.read_timeout_s)

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_base_s * 2 ** (attempt - 1), self.backoff_max_s)


class GitHubClient:
    """A requests.Session bound to one repository, with retries and pagination."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not settings.repository:
            raise ConfigError("GITHUB_REPOSITORY is not set")
        self.settings = settings
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._session = _new_session()
        if settings.token:
            self._session.headers["Authorization"] = f"Bearer {settings.token}"
        self._anonymous = _new_session()
        """For signed URLs on other hosts (artifact storage): never carries the token."""

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._session.close()
        self._anonymous.close()

    def log(self, message: str, *args: object) -> None:
        """One INFO line of this client (retries, waits), redacted as its errors are (``redact``)."""
        log.info("%s", self.settings.redact(message % args if args else message))

    def repo_url(self, path: str) -> str:
        """``/repos/{owner}/{name}/{path}`` on the API host."""
        return f"{self.settings.api_url}/repos/{self.settings.repository}/{path.lstrip('/')}"

    def get_json(self, url: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return json_of(self.request("GET", url, params=params))

    def paginate(
        self, url: str, *, params: Mapping[str, Any] | None = None, key: str | None = None
    ) -> Iterator[Any]:
        """Every item of a listing, following ``Link: rel="next"`` until there is none.

        ``key`` names the list inside an object answer (``workflow_runs``, ``artifacts``);
        without it the answer is the list itself (issue comments).
        """
        next_url: str | None = url
        for _ in range(MAX_PAGES):
            if next_url is None:
                return
            response = self.request("GET", next_url, params=params)
            data = json_of(response)
            items = data.get(key, []) if key else data
            if not isinstance(items, list):
                raise GitHubError(f"GET {_path(next_url)}: expected a list in the answer")
            yield from items
            next_url = response.links.get("next", {}).get("url")
            params = None  # the next link carries the query already
        raise GitHubError(f"GET {_path(url)}: more than {MAX_PAGES} pages; giving up")

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        authenticated: bool = True,
        allow_redirects: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        """One call with retries; answers 2xx or 3xx, raises GitHubError otherwise.

        ``authenticated=False`` uses a session without the token, for signed storage URLs.
        """
        method = method.upper()
        url = self._resolve(url, authenticated=authenticated)
        session = self._session if authenticated else self._anonymous
        idempotent = method in IDEMPOTENT_METHODS
        waited = 0.0
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                response = session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    timeout=self.policy.timeout,
                    allow_redirects=allow_redirects,
                    stream=stream,
                )
            except requests.RequestException as exc:
                reason = _describe_exception(exc)
                if not idempotent and not isinstance(exc, requests.ConnectTimeout):
                    raise AmbiguousWriteError(
                        f"{method} {_path(url)}: {reason}; the write may have been applied"
                    ) from None
                delay = self.policy.backoff(attempt)
            else:
                delay = self._retry_delay(response, attempt)
                if delay is None:
                    if response.status_code >= 400:
                        raise GitHubError(
                            f"{method} {_path(url)}: {_describe_response(response)}",
                            status=response.status_code,
                        )
                    return response
                reason = _describe_response(response)
                response.close()
                if response.status_code >= 500 and not idempotent:
                    raise AmbiguousWriteError(
                        f"{method} {_path(url)}: {reason}; the write may have been applied",
                        status=response.status_code,
                    )
            waited = self._wait(delay, waited, attempt, f"{method} {_path(url)}", reason)
        raise AssertionError("unreachable")  # _wait raises on the last attempt

    def _wait(self, delay: float, waited: float, attempt: int, what: str, reason: str) -> float:
        policy = self.policy
        if attempt >= policy.max_attempts:
            raise GitHubError(f"{what}: gave up after {attempt} attempts; last: {reason}")
        if delay > policy.max_wait_s:
            raise GitHubError(
                f"{what}: GitHub asks to wait {delay:.0f} s, more than the {policy.max_wait_s:.0f} s "
                f"this step may wait ({reason})"
            )
        if waited + delay > policy.max_total_wait_s:
            raise GitHubError(
                f"{what}: still failing after waiting {waited:.0f} s in total "
                f"(limit {policy.max_total_wait_s:.0f} s); last: {reason}"
            )
        self.log(
            "%s: %s; retrying in %.1f s (attempt %d of %d)",
            what,
            reason,
            delay,
            attempt + 1,
            policy.max_attempts,
        )
        self._sleep(delay)
        return waited + delay

    def _retry_delay(self, response: requests.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying this answer, or None when it is final."""
        status = response.status_code
        headers = response.headers
        if status in (403, 429) or status >= 500:
            retry_after = _retry_after_s(headers.get("retry-after"), self._clock())
            if retry_after is not None:
                return retry_after
        if status in (403, 429):
            if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset", "").isdigit():
                # one second of margin: the reset is a whole second and clocks drift
                return max(0.0, int(headers["x-ratelimit-reset"]) - self._clock()) + 1.0
            if status == 429 or "rate limit" in response.text[:2000].lower():
                return self.policy.backoff(attempt)
            return None  # a 403 without any rate-limit sign is a permission problem: retrying will not help
        if status >= 500:
            return self.policy.backoff(attempt)
        return None

    def _resolve(self, url: str, *, authenticated: bool) -> str:
        api = self.settings.api_url
        if not urlsplit(url).scheme:
            url = urljoin(api + "/", url.lstrip("/"))
        if authenticated and _origin(url) != _origin(api):
            # a Link header or redirect pointing elsewhere must not receive the token
            raise GitHubError(f"refusing to send the token to {_origin(url)}, which is not {_origin(api)}")
        return url


def json_of(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise GitHubError(f"{_path(response.url)}: the answer is not JSON") from None


def _new_session() -> requests.Session:
    session = requests.Session()
    session.headers.update(
        {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": USER_AGENT,
        }
    )
    return session


def _retry_after_s(value: str | None, now: float) -> float | None:
    """``retry-after`` as seconds: GitHub sends a number; HTTP also allows a date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _describe_response(response: requests.Response) -> str:
    message = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            message = str(body.get("message", ""))
    except ValueError:
        pass
    message = " ".join(message.split())[:200]
    text = f"HTTP {response.status_code}"
    return f"{text}: {message}" if message else text


def _describe_exception(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.Timeout):
        return "no answer within the read timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _path(url: str) -> str:
    """The path of a URL, for messages: no host, no query (signed URLs carry secrets in it)."""
    return urlsplit(url).path or "/"
