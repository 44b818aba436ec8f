"""The signed-in API session of one simulated user: tokens, refresh-on-401, validation.

Every request goes through ``ApiSession.call`` so that naming, authentication,
the single refresh-and-retry on 401 and the response checks are written once.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from loadtest import config
from loadtest.config import Endpoint

Check = Callable[[Any], str | None]
"""Validates a parsed JSON body; returns a failure message a person can act on, or None."""


class SignInFailed(Exception):
    """The user could not obtain tokens; the message says what the API answered."""


@dataclass
class Tokens:
    access: str = field(default="", repr=False)
    refresh: str = field(default="", repr=False)


def has_keys(*keys: str) -> Check:
    def check(body: Any) -> str | None:
        if not isinstance(body, dict):
            return f"expected a JSON object with {', '.join(keys)}, got {type(body).__name__}"
        missing = [k for k in keys if k not in body]
        return f"response lacks {', '.join(repr(k) for k in missing)}" if missing else None

    return check


_has_page_keys = has_keys("count", "next", "previous")
has_email = has_keys("email")
has_id = has_keys("id")
has_access = has_keys("access")
has_tokens = has_keys("access", "refresh")
"""Checks built once: a check runs on every response, building it there would cost a closure each time."""


def paginated(body: Any) -> str | None:
    """DRF page: count, next, previous and a results list."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return "expected a paginated body with a 'results' list (count/next/previous/results)"
    return _has_page_keys(body)


def is_list_or_page(body: Any) -> str | None:
    return None if isinstance(body, list) else paginated(body)


class ApiSession:
    """Holds one user's tokens and sends every request of that user."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.tokens = Tokens()
        self._auth_header: tuple[str, dict[str, str]] | None = None
        """(access token, headers carrying it): rebuilt only when the token changes."""

    def call(
        self,
        endpoint: Endpoint,
        *,
        expect: tuple[int, ...] = (200,),
        check: Check | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one request named by its endpoint; on a 401 refresh once and retry once.

        Returns the parsed body of a successful response, else None (the
        failure is already reported to Locust with a message).
        """
        url = _url(endpoint.path, tuple(params.items())) if params else endpoint.path
        for attempt in (1, 2):
            with self.client.request(
                endpoint.method,
                url,
                name=endpoint.name,
                headers=self._headers(endpoint),
                json=json,
                catch_response=True,
            ) as resp:
                if resp.status_code == 401 and endpoint.auth and attempt == 1 and self.refresh():
                    # The API answered an expired token as it should; the retry is the measurement.
                    resp.success()
                    continue
                return self._judge(resp, endpoint, expect, check)
        return None

    def _headers(self, endpoint: Endpoint) -> dict[str, str] | None:
        access = self.tokens.access
        if not endpoint.auth or not access:
            return None
        if self._auth_header is None or self._auth_header[0] != access:
            self._auth_header = (access, {"Authorization": f"Bearer {access}"})
        return self._auth_header[1]

    @staticmethod
    def _judge(resp: Any, endpoint: Endpoint, expect: tuple[int, ...], check: Check | None) -> Any:
        if resp.status_code not in expect:
            resp.failure(f"{endpoint.name}: expected HTTP {'/'.join(map(str, expect))}, got {_status(resp)}")
            return None
        try:
            # From the bytes: resp.json() would first decode them to text, looking up the charset.
            body = jsonlib.loads(resp.content or b"")
        except ValueError:
            resp.failure(f"{endpoint.name}: HTTP {resp.status_code} but the body is not JSON")
            return None
        problem = check(body) if check else None
        if problem:
            resp.failure(f"{endpoint.name}: {problem}")
            return None
        resp.success()
        return body

    def sign_up(self, identity: dict[str, str]) -> bool:
        return self.call(config.SIGN_UP, expect=(201,), check=has_email, json=identity) is not None

    def sign_in(self, email: str, password: str) -> None:
        body = self.call(
            config.SIGN_IN,
            check=has_tokens,
            json={"email": email, "password": password},
        )
        if body is None:
            raise SignInFailed(f"sign-in as {email} failed: see the failures table for the API's answer")
        self.tokens = Tokens(access=body["access"], refresh=body["refresh"])

    def use_token(self, access: str) -> None:
        """Authenticate with a ready-made access token (no refresh possible)."""
        self.tokens = Tokens(access=access)

    def refresh(self) -> bool:
        """Trade the refresh token for a new access token; False when that is impossible."""
        if not self.tokens.refresh:
            return False
        body = self.call(config.TOKEN_REFRESH, check=has_access, json={"refresh": self.tokens.refresh})
        if body is None:
            return False
        self.tokens.access = body["access"]
        return True


@lru_cache(maxsize=2048)
def _url(path: str, params: tuple[tuple[str, Any], ...]) -> str:
    """Path and query string; cached, because the values come from small fixed pools."""
    return f"{path}?{urlencode(params)}"


def _status(resp: Any) -> str:
    if resp.status_code == 0 or resp.status_code is None:
        error = getattr(resp, "error", None)
        return f"no response ({type(error).__name__ if error else 'connection failed'})"
    return str(resp.status_code)
