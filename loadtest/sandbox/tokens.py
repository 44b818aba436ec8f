"""SimpleJWT's tokens: HS256 JWTs signed with HMAC-SHA256 from the standard library.

A token is ``base64url(header).base64url(payload).base64url(signature)`` with a payload
``{"token_type": "access"|"refresh", "exp": ..., "iat": ..., "jti": ..., "user_id": ...}``.
Refresh tokens rotate as SimpleJWT's do with ROTATE_REFRESH_TOKENS and BLACKLIST_AFTER_ROTATION:
a refresh answers a new pair and blacklists the token it used, so a second use fails with
"Token is blacklisted". The signing key is random per process: tokens never outlive the sandbox
that issued them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

ACCESS = "access"
REFRESH = "refresh"

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
_VERIFIED_CACHE_SIZE = 50_000
"""Verified access tokens remembered so that the hot path skips HMAC and JSON; bounded like all state."""
BLACKLIST_SIZE = 200_000
"""Used refresh tokens remembered; past this the oldest is forgotten (a stand-in's bound on memory)."""


class TokenError(Exception):
    """The token is malformed, forged, expired or of the wrong type; the message says which."""


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(kw_only=True)
class TokenSigner:
    """Issues and checks access and refresh tokens."""

    access_lifetime: float = 300.0
    refresh_lifetime: float = 86_400.0
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    clock: Callable[[], float] = time.time
    _verified: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False)
    _blacklist: OrderedDict[str, None] = field(default_factory=OrderedDict, repr=False)

    def issue(self, user_id: int, token_type: str) -> str:
        lifetime = self.access_lifetime if token_type == ACCESS else self.refresh_lifetime
        now = self.clock()
        payload = {
            "token_type": token_type,
            # Rounded up so that a 1-second lifetime lasts at least one second.
            "exp": math.ceil(now + lifetime),
            "iat": int(now),
            "jti": secrets.token_hex(16),
            "user_id": str(user_id),  # SimpleJWT 5.5 writes the id as text
        }
        body = f"{_HEADER}.{_b64encode(json.dumps(payload, separators=(',', ':')).encode())}"
        return f"{body}.{self._sign(body)}"

    def user_id(self, token: str, token_type: str) -> int:
        """The user id the token was issued for, or TokenError."""
        if token_type == ACCESS:
            cached = self._verified.get(token)
            if cached is not None and self.clock() < cached[1]:
                return cached[0]
        return self._checked(token, token_type)[0]

    def rotate(self, refresh: str) -> tuple[int, str, str]:
        """(user id, new access, new refresh) for a refresh token, which is blacklisted from now on."""
        user_id, payload = self._checked(refresh, REFRESH)
        jti = payload.get("jti")
        if not isinstance(jti, str):
            raise TokenError("Token has no id")
        if jti in self._blacklist:
            raise TokenError("Token is blacklisted")
        self._blacklist[jti] = None
        while len(self._blacklist) > BLACKLIST_SIZE:
            self._blacklist.popitem(last=False)
        return user_id, self.issue(user_id, ACCESS), self.issue(user_id, REFRESH)

    def _checked(self, token: str, token_type: str) -> tuple[int, dict]:
        """The user id and the claims of a valid token of ``token_type``, or TokenError."""
        payload = self._payload(token)
        exp = payload.get("exp")
        user_id = payload.get("user_id")
        if not isinstance(exp, int | float) or not (isinstance(user_id, str) and user_id.isdigit()):
            raise TokenError("Token is invalid")
        # SimpleJWT's order: the signature and expiry (PyJWT's decode), then the type.
        if self.clock() >= exp:
            raise TokenError("Token is expired")
        if payload.get("token_type") != token_type:
            raise TokenError("Token has wrong type")
        if token_type == ACCESS:
            if len(self._verified) >= _VERIFIED_CACHE_SIZE:
                self._verified.clear()
            self._verified[token] = (int(user_id), exp)
        return int(user_id), payload

    def _payload(self, token: str) -> dict:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _HEADER:
            raise TokenError("Token is invalid")
        signature = parts[2]
        if not signature.isascii() or not hmac.compare_digest(
            signature, self._sign(f"{parts[0]}.{parts[1]}")
        ):
            raise TokenError("Token is invalid")
        try:
            payload = json.loads(_b64decode(parts[1]))
        except (ValueError, binascii.Error) as exc:
            raise TokenError("Token is invalid") from exc
        if not isinstance(payload, dict):
            raise TokenError("Token is invalid")
        return payload

    def _sign(self, body: str) -> str:
        return _b64encode(hmac.new(self.key, body.encode(), hashlib.sha256).digest())
