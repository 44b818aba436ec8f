"""Sandbox tokens as SimpleJWT's: HMAC-signed, typed, expiring; refresh rotates and blacklists.

Refusals carry SimpleJWT's own words: "Token is invalid", "Token is expired", "Token has wrong type",
"Token is blacklisted".
"""

import base64
import json

import pytest

from loadtest.sandbox import tokens
from loadtest.sandbox.tokens import ACCESS, REFRESH, TokenError, TokenSigner


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


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
    assert claims["user_id"] == "42" and claims["token_type"] == "access"  # as SimpleJWT 5.5 writes it
    assert claims["exp"] == 1061  # rounded up: a lifetime is never cut short
    assert signer.user_id(token, ACCESS) == 42


def test_access_and_refresh_are_not_interchangeable():
    signer = TokenSigner()
    with pytest.raises(TokenError, match="^Token has wrong type$"):
        signer.user_id(signer.issue(1, REFRESH), ACCESS)
    with pytest.raises(TokenError, match="^Token has wrong type$"):
        signer.user_id(signer.issue(1, ACCESS), REFRESH)


@pytest.mark.parametrize("token_type", [ACCESS, REFRESH])
def test_tokens_expire_after_their_lifetime(token_type):
    clock = Clock()
    signer = TokenSigner(access_lifetime=1, refresh_lifetime=5, clock=clock)
    token = signer.issue(7, token_type)
    assert signer.user_id(token, token_type) == 7
    clock.now += 6
    with pytest.raises(TokenError, match="^Token is expired$"):
        signer.user_id(token, token_type)


def test_a_token_of_another_process_is_forged():
    with pytest.raises(TokenError, match="^Token is invalid$"):
        TokenSigner().user_id(TokenSigner().issue(1, ACCESS), ACCESS)


def test_a_tampered_payload_breaks_the_signature():
    signer = TokenSigner()
    header, _, signature = signer.issue(1, ACCESS).split(".")
    other_payload = signer.issue(2, ACCESS).split(".")[1]
    with pytest.raises(TokenError, match="^Token is invalid$"):
        signer.user_id(f"{header}.{other_payload}.{signature}", ACCESS)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c", "a.b.c.d", "é.é.é", "..", "eyJ.eyJ.sig\u00e9"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(TokenError, match="^Token is invalid$"):
        TokenSigner().user_id(token, ACCESS)


def test_the_verified_token_cache_does_not_outlive_expiry():
    clock = Clock()
    signer = TokenSigner(access_lifetime=1, clock=clock)
    token = signer.issue(3, ACCESS)
    assert signer.user_id(token, ACCESS) == 3  # now cached
    clock.now += 2
    with pytest.raises(TokenError, match="^Token is expired$"):
        signer.user_id(token, ACCESS)


def test_the_key_never_reaches_repr():
    signer = TokenSigner()
    assert signer.key.hex() not in repr(signer) and "key" not in repr(signer)


def test_every_token_has_its_own_id_even_issued_in_the_same_second():
    signer = TokenSigner(clock=Clock())
    issued = [signer.issue(1, REFRESH) for _ in range(50)]
    assert len({claims(t)["jti"] for t in issued}) == 50 and len(set(issued)) == 50


def test_a_refresh_answers_a_new_pair_with_fresh_lifetimes():
    clock = Clock()
    signer = TokenSigner(access_lifetime=60, refresh_lifetime=600, clock=clock)
    refresh = signer.issue(9, REFRESH)
    clock.now += 100
    user_id, access, rotated = signer.rotate(refresh)
    assert user_id == 9 and rotated != refresh
    assert signer.user_id(access, ACCESS) == 9 and signer.user_id(rotated, REFRESH) == 9
    assert claims(access)["exp"] == clock.now + 60 and claims(rotated)["exp"] == clock.now + 600


def test_a_used_refresh_token_is_blacklisted_and_its_successor_is_not():
    signer = TokenSigner()
    first = signer.issue(5, REFRESH)
    _, _, second = signer.rotate(first)
    with pytest.raises(TokenError, match="^Token is blacklisted$"):
        signer.rotate(first)
    _, _, third = signer.rotate(second)
    with pytest.raises(TokenError, match="^Token is blacklisted$"):
        signer.rotate(second)
    assert signer.rotate(third)[0] == 5


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("access", "^Token has wrong type$"),
        ("forged", "^Token is invalid$"),
        ("expired", "^Token is expired$"),
    ],
)
def test_only_a_valid_refresh_token_rotates_and_a_refused_one_is_not_blacklisted(which, message):
    clock = Clock()
    signer = TokenSigner(refresh_lifetime=10, clock=clock)
    token = {
        "access": signer.issue(1, ACCESS),
        "forged": TokenSigner().issue(1, REFRESH),
        "expired": signer.issue(1, REFRESH),
    }[which]
    if which == "expired":
        clock.now += 11
    with pytest.raises(TokenError, match=message):
        signer.rotate(token)
    with pytest.raises(TokenError, match=message):  # the same reason again, not "blacklisted"
        signer.rotate(token)


def test_the_blacklist_is_bounded_and_forgets_the_oldest_first(monkeypatch):
    monkeypatch.setattr(tokens, "BLACKLIST_SIZE", 2)
    signer = TokenSigner()
    used = [signer.issue(n, REFRESH) for n in range(3)]
    for token in used:
        signer.rotate(token)
    for token in used[1:]:
        with pytest.raises(TokenError, match="^Token is blacklisted$"):
            signer.rotate(token)
    assert signer.rotate(used[0])[0] == 0  # forgotten: the stand-in's bound on memory
