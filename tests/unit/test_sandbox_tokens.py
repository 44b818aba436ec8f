"""Sandbox tokens: HMAC-signed, typed, expiring, forged or malformed ones refused."""

import base64
import json

import pytest

from loadtest.sandbox.tokens import ACCESS, REFRESH, TokenError, TokenSigner


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_token_carries_its_user_type_and_expiry():
    clock = Clock(1000.5)
    signer = TokenSigner(access_lifetime=60, clock=clock)
    token = signer.issue(42, ACCESS)
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert json.loads(base64.urlsafe_b64decode(header + "==")) == {"alg": "HS256", "typ": "JWT"}
    assert claims["user_id"] == 42 and claims["token_type"] == "access"
    assert claims["exp"] == 1061  # rounded up: a lifetime is never cut short
    assert signer.user_id(token, ACCESS) == 42


def test_access_and_refresh_are_not_interchangeable():
    signer = TokenSigner()
    with pytest.raises(TokenError, match="wrong type"):
        signer.user_id(signer.issue(1, REFRESH), ACCESS)
    with pytest.raises(TokenError, match="wrong type"):
        signer.user_id(signer.issue(1, ACCESS), REFRESH)


@pytest.mark.parametrize("token_type", [ACCESS, REFRESH])
def test_tokens_expire_after_their_lifetime(token_type):
    clock = Clock()
    signer = TokenSigner(access_lifetime=1, refresh_lifetime=5, clock=clock)
    token = signer.issue(7, token_type)
    assert signer.user_id(token, token_type) == 7
    clock.now += 6
    with pytest.raises(TokenError, match="expired"):
        signer.user_id(token, token_type)


def test_a_token_of_another_process_is_forged():
    with pytest.raises(TokenError, match="invalid"):
        TokenSigner().user_id(TokenSigner().issue(1, ACCESS), ACCESS)


def test_a_tampered_payload_breaks_the_signature():
    signer = TokenSigner()
    header, _, signature = signer.issue(1, ACCESS).split(".")
    other_payload = signer.issue(2, ACCESS).split(".")[1]
    with pytest.raises(TokenError):
        signer.user_id(f"{header}.{other_payload}.{signature}", ACCESS)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "a.b.c.d", "é.é.é", "..", "eyJ.eyJ.sig\u00e9"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(TokenError):
        TokenSigner().user_id(token, ACCESS)


def test_the_verified_token_cache_does_not_outlive_expiry():
    clock = Clock()
    signer = TokenSigner(access_lifetime=1, clock=clock)
    token = signer.issue(3, ACCESS)
    assert signer.user_id(token, ACCESS) == 3  # now cached
    clock.now += 2
    with pytest.raises(TokenError, match="expired"):
        signer.user_id(token, ACCESS)


def test_the_key_never_reaches_repr():
    signer = TokenSigner()
    assert signer.key.hex() not in repr(signer) and "key" not in repr(signer)
