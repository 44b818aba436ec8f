"""The API session of one simulated user: its tokens, the API key, renewal, and the checks.

Every request goes through ``ApiSession.send``, which builds it from the contract, carries
the API key (and the bearer token where the endpoint needs one), renews an access token
before it expires and once after a 401, and judges the answer by the contract.
"""

from __future__ import annotations

import base64
import binascii
import json as jsonlib
import random
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from loadtest import contract
from loadtest.contract import Endpoint
from loadtest.text import masking
from loadtest.user.data import DataPools, Identity

TOKEN_EXPIRED_HINT = (
    "the access token expired; set LOADTEST_EMAIL/LOADTEST_PASSWORD so users can sign in again"
)
MAX_ANSWER_CHARS = 120
"""How much of a refusal's body a failure message quotes: enough for DRF's field errors."""
MAX_ANSWER_READ = 16 * 1024
"""How much of the body is read and masked before the quote is cut from it: a secret that starts in the
quoted part ends well within it, so no part of one is quoted."""


class SignInFailed(Exception):
    """The user could not obtain tokens; ``status`` and ``answer`` are what the API said."""

    def __init__(self, message: str, *, step: str, status: int | None = None, answer: str = "") -> None:
        super().__init__(message)
        self.step = step
        self.status = status
        self.answer = answer


@dataclass
class Tokens:
    access: str = field(default="", repr=False)
    refresh: str = field(default="", repr=False)
    renew_at: float = float("inf")
    """When to refresh ahead of the access token's expiry (from its ``exp`` claim)."""
    expires_at: float = float("inf")

    @classmethod
    def issued(cls, access: str, refresh: str = "") -> Tokens:
        issued_at, expires_at = token_lifetime(access)
        # Refresh ahead by a tenth of the lifetime (at most 30 s): a token is never used as it expires.
        ahead = min(30.0, (expires_at - issued_at) / 10) if issued_at is not None else 0.0
        return cls(access=access, refresh=refresh, renew_at=expires_at - ahead, expires_at=expires_at)


def token_lifetime(token: str) -> tuple[float | None, float]:
    """``iat`` and ``exp`` of a JWT, read without verifying it (the API does that); (None, inf) if not."""
    try:
        payload = token.split(".")[1]
        claims = jsonlib.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = float(claims["exp"])
        iat = claims.get("iat")
        return (float(iat) if isinstance(iat, int | float) else None), exp
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error):
        return None, float("inf")


@dataclass
class UserData:
    """What the contract's field sources read (``contract.RequestData``)."""

    pools: DataPools
    rng: random.Random
    identity: Identity
    tokens: Tokens

    @property
    def refresh_token(self) -> str:
        return self.tokens.refresh

    def pick(self, pool: tuple[Any, ...]) -> Any:
        return self.rng.choice(pool)


class ApiSession:
    """Holds one user's tokens and sends every request of that user."""

    def __init__(self, client: Any, data: UserData, *, api_key: str = "", can_sign_in: bool = False) -> None:
        self.client = client
        self.data = data
        self.can_sign_in = can_sign_in
        """Whether the identity is an account we may sign in with again (not a bare LOADTEST_TOKEN)."""
        self._key_headers = {contract.API_KEY_HEADER: api_key} if api_key else {}
        self._auth_headers: tuple[str, dict[str, str]] | None = None
        """(access token, headers carrying it and the key): rebuilt only when the token changes."""
        self.last_refusal: tuple[int | None, str] = (None, "")
        """Status and start of the body of the last answer that was not the contract's."""

    @property
    def tokens(self) -> Tokens:
        return self.data.tokens

    def send(self, endpoint: Endpoint, *, data: UserData | None = None) -> Any:
        """One request of ``endpoint``, built from the contract; on a 401, renew once and retry once.

        Returns the parsed body of a successful answer, else None (the failure is already
        reported to Locust with a message).
        """
        data = data or self.data
        if endpoint.auth and time.time() >= self.tokens.renew_at:
            self.renew()
        query = endpoint.build_query(data)
        url = _url(endpoint.path, query) if query else endpoint.path
        body = endpoint.build_body(data)
        for attempt in (1, 2):
            with self.client.request(
                endpoint.method,
                url,
                name=endpoint.name,
                headers=self._headers(endpoint),
                json=body,
                catch_response=True,
            ) as resp:
                if resp.status_code == 401 and endpoint.auth and attempt == 1 and self.renew():
                    # The API refused an expired token as it should; the retry is the measurement.
                    resp.success()
                    continue
                return self._judge(resp, endpoint)
        return None

    def _headers(self, endpoint: Endpoint) -> dict[str, str]:
        access = self.tokens.access
        if not endpoint.auth or not access:
            return self._key_headers
        if self._auth_headers is None or self._auth_headers[0] != access:
            self._auth_headers = (access, {**self._key_headers, "Authorization": f"Bearer {access}"})
        return self._auth_headers[1]

    def _judge(self, resp: Any, endpoint: Endpoint) -> Any:
        if resp.status_code != endpoint.status:
            self.last_refusal = (resp.status_code, answer_text(resp))
            resp.failure(self._refusal(resp, endpoint))
            return None
        try:
            # From the bytes: resp.json() would first decode them to text, looking up the charset.
            body = jsonlib.loads(resp.content or b"")
        except ValueError:
            body, problem = None, f"HTTP {resp.status_code} but the body is not JSON"
        else:
            problem = endpoint.check(body)
        if problem:
            self.last_refusal = (resp.status_code, problem)
            resp.failure(problem)
            return None
        resp.success()
        return body

    def _refusal(self, resp: Any, endpoint: Endpoint) -> str:
        expired = time.time() >= self.tokens.expires_at
        if resp.status_code == 401 and endpoint.auth and not self.can_sign_in and expired:
            return TOKEN_EXPIRED_HINT
        return f"expected HTTP {endpoint.status}, got {status_text(resp)}"

    # -- tokens ------------------------------------------------------------------------------

    def sign_up(self, identity: Identity, *, keep_tokens: bool) -> None:
        """Create the account (and use the tokens the API answers with); SignInFailed if refused."""
        self._sign(contract.SIGN_UP, "sign-up", replace(self.data, identity=identity), keep=keep_tokens)

    def sign_in(self) -> None:
        """Sign in as the session's identity; SignInFailed says what the API answered."""
        self._sign(contract.SIGN_IN, "sign-in", self.data)

    def _sign(self, endpoint: Endpoint, step: str, data: UserData, *, keep: bool = True) -> None:
        body = self.send(endpoint, data=data)
        if body is None:
            status, answer = self.last_refusal
            raise SignInFailed(
                f"{step} as {data.identity.email} answered {status} {answer}".rstrip(),
                step=step,
                status=status,
                answer=answer,
            )
        if keep:
            self._keep(body)

    def use_token(self, access: str) -> None:
        """Authenticate with a ready-made access token (no refresh possible)."""
        masking.RUN.add_token(access)
        self.data.tokens = Tokens.issued(access)

    def renew(self) -> bool:
        """A new access token: by the refresh token, else by signing in again; False if neither works."""
        if self.refresh():
            return True
        if not self.can_sign_in:
            return False
        try:
            self.sign_in()
        except SignInFailed:
            return False
        return True

    def refresh(self) -> bool:
        """Trade the refresh token for new tokens; the API rotates it, so the new one is kept."""
        if not self.tokens.refresh:
            return False
        body = self.send(contract.TOKEN_REFRESH)
        if body is None:
            self.tokens.refresh = ""  # refused: used, blacklisted or expired; never send it again
            return False
        self._keep(body)
        return True

    def _keep(self, body: dict[str, Any]) -> None:
        # Secrets from now on: an API that echoes a request would quote them in a failure message.
        masking.RUN.add_token(*(str(body.get(kind) or "") for kind in ("access", "refresh")))
        self.data.tokens = Tokens.issued(body["access"], body.get("refresh") or self.tokens.refresh)


@lru_cache(maxsize=2048)
def _url(path: str, params: tuple[tuple[str, Any], ...]) -> str:
    """Path and query string; cached, because the values come from small fixed pools."""
    return f"{path}?{urlencode(params)}"


def status_text(resp: Any) -> str:
    """``400 {"title": ["This field is required."]}``, or what stopped the request getting an answer."""
    if resp.status_code == 0 or resp.status_code is None:
        error = getattr(resp, "error", None)
        return f"no response ({type(error).__name__ if error else 'connection failed'})"
    answer = answer_text(resp) if 400 <= resp.status_code < 500 else ""
    return f"{resp.status_code} {answer}".rstrip()


def answer_text(resp: Any) -> str:
    """The start of the answer's body on one line, for a message a person can act on.

    Secrets are masked (loadtest.text.masking) before Locust records the message, and before it is cut: an
    API may echo the request (a bad header, a field's value), and a cut secret would still leak its start.
    """
    body = (resp.content or b"")[:MAX_ANSWER_READ].decode("utf-8", "replace")
    text = masking.mask(" ".join(masking.mask(body).split()))
    return text if len(text) <= MAX_ANSWER_CHARS else text[: MAX_ANSWER_CHARS - 1] + "…"
