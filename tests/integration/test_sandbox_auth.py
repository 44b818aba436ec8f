"""The API key and the tokens over HTTP, answered as the real backend and SimpleJWT answer them.

Every request needs ``X-API-Token`` (403 without it, whatever else it carries); a protected endpoint
also needs ``Authorization: Bearer <access>`` (401 with SimpleJWT's bodies); refresh recovers.
"""

import base64
import json
import time

import pytest

from loadtest import contract
from tests.integration.conftest import API_KEY, api_request, call_endpoint

pytestmark = pytest.mark.slow

BEARER_CHALLENGE = 'Bearer realm="api"'
NO_KEY = {"detail": "The X-API-Token header with the app's API key is missing."}
WRONG_KEY = {"detail": "The X-API-Token header does not hold a valid API key."}
NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
TWO_VALUES = {
    "detail": "Authorization header must contain two space-delimited values",
    "code": "bad_authorization_header",
}


def not_valid(message: str) -> dict:
    """SimpleJWT's 401 body for an access token it refuses."""
    return {
        "detail": "Given token not valid for any token type",
        "code": "token_not_valid",
        "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}],
    }


def dashboard(base_url: str, authorization: str | None, **kwargs):
    headers = {} if authorization is None else {"Authorization": authorization}
    return call_endpoint(base_url, contract.DASHBOARD, headers=headers, **kwargs)


def assert_401(response, body: dict) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == body
    assert response.headers["WWW-Authenticate"] == BEARER_CHALLENGE


def expiry(token: str) -> int:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"]


def sleep_past(exp: float) -> None:
    """Sleep until the wall clock (the sandbox's clock too) is past ``exp``."""
    while time.time() < exp + 0.05:
        time.sleep(max(0.0, exp + 0.05 - time.time()))


# -- the API key -----------------------------------------------------------------------------------

KEYS = [
    (None, NO_KEY),
    ("", NO_KEY),
    ("not-the-key", WRONG_KEY),
    (API_KEY + "x", WRONG_KEY),
    (API_KEY[:-1], WRONG_KEY),
    (API_KEY.upper(), WRONG_KEY),
]
KEY_IDS = ["absent", "empty", "other", "longer", "prefix", "upper-case"]


@pytest.mark.parametrize(("key", "body"), KEYS, ids=KEY_IDS)
@pytest.mark.parametrize(
    "endpoint", [contract.HELP_ARTICLES, contract.SIGN_IN, contract.SIGN_UP], ids=lambda e: e.name
)
def test_a_public_endpoint_without_the_right_key_is_403(sandbox_url, endpoint, key, body):
    response = call_endpoint(sandbox_url, endpoint, key=key, json={} if endpoint.body else None)
    assert response.status_code == 403
    assert response.json() == body
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize(("key", "body"), KEYS, ids=KEY_IDS)
@pytest.mark.parametrize("endpoint", [contract.DASHBOARD, contract.CONTACT_US], ids=lambda e: e.name)
def test_a_valid_token_without_the_right_key_is_403(sandbox_url, signed_in, endpoint, key, body):
    response = call_endpoint(sandbox_url, endpoint, access=signed_in[0], key=key, json={})
    assert response.status_code == 403
    assert response.json() == body


def test_the_key_is_checked_before_the_token(sandbox_url):
    response = dashboard(sandbox_url, None, key=None)
    assert response.status_code == 403 and response.json() == NO_KEY
    response = dashboard(sandbox_url, "Bearer x.y.z", key="not-the-key")
    assert response.status_code == 403 and response.json() == WRONG_KEY


def test_the_right_key_lets_the_same_requests_through(sandbox_url, signed_in):
    assert call_endpoint(sandbox_url, contract.HELP_ARTICLES).status_code == 200
    assert dashboard(sandbox_url, f"Bearer {signed_in[0]}").status_code == 200
    # Header names are case-insensitive in HTTP.
    lower = api_request(
        "GET", sandbox_url + contract.HELP_ARTICLES.path, key=None, headers={"x-api-token": API_KEY}
    )
    assert lower.status_code == 200


def test_refused_keys_are_counted_as_requests_but_change_nothing(sandbox_factory):
    base_url = sandbox_factory(admin=True)
    body = {"email": "keyless@example.com", "password": "long-enough-1"}
    assert call_endpoint(base_url, contract.SIGN_UP, key="not-the-key", json=body).status_code == 403
    # No account was made: the same sign-up with the key succeeds.
    assert call_endpoint(base_url, contract.SIGN_UP, json=body).status_code == 201
    stats = api_request("GET", f"{base_url}/__sandbox/stats", key=None).json()
    assert (stats["users"], stats["requests_served"]) == (1, 2)


# -- bearer tokens, as SimpleJWT ----------------------------------------------------------------


def test_no_authorization_header_is_401_credentials_not_provided(sandbox_url):
    assert_401(dashboard(sandbox_url, None), NOT_PROVIDED)


@pytest.mark.parametrize(
    "authorization", ["", "Token abc", "bearer x.y.z", "Basic dXNlcjpwYXNz", "JWT x.y.z"]
)
def test_a_header_that_is_not_bearer_is_401_credentials_not_provided(sandbox_url, authorization):
    assert_401(dashboard(sandbox_url, authorization), NOT_PROVIDED)


@pytest.mark.parametrize("authorization", ["Bearer", "Bearer ", "Bearer a b", "Bearer x.y.z extra"])
def test_bearer_without_exactly_one_token_is_401_bad_authorization_header(sandbox_url, authorization):
    assert_401(dashboard(sandbox_url, authorization), TWO_VALUES)


@pytest.mark.parametrize("token", ["x.y.z", "garbage", "a.b.c.d", "\u00e9t\u00e9"])
def test_a_malformed_token_is_401_token_is_invalid(sandbox_url, token):
    assert_401(dashboard(sandbox_url, f"Bearer {token}".encode()), not_valid("Token is invalid"))


def test_a_forged_token_is_401_token_is_invalid(sandbox_url, sandbox_factory, sign_in_new_user, signed_in):
    other_sandbox_access, _ = sign_in_new_user(sandbox_factory())
    assert_401(dashboard(sandbox_url, f"Bearer {other_sandbox_access}"), not_valid("Token is invalid"))
    header, payload, signature = signed_in[0].split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert_401(dashboard(sandbox_url, f"Bearer {tampered}"), not_valid("Token is invalid"))


def test_a_refresh_token_is_no_access_token(sandbox_url, signed_in):
    assert_401(dashboard(sandbox_url, f"Bearer {signed_in[1]}"), not_valid("Token has wrong type"))


def test_an_expired_access_token_is_401_and_refresh_recovers(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(access_lifetime=3)
    access, refresh = sign_in_new_user(base_url)
    assert dashboard(base_url, f"Bearer {access}").status_code == 200  # 3 s at least are left
    sleep_past(expiry(access))
    assert_401(dashboard(base_url, f"Bearer {access}"), not_valid("Token is expired"))
    renewed = call_endpoint(base_url, contract.TOKEN_REFRESH, json={"refresh": refresh})
    assert renewed.status_code == 200
    assert dashboard(base_url, f"Bearer {renewed.json()['access']}").status_code == 200


def test_an_expired_refresh_token_is_401_token_is_expired(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(access_lifetime=1, refresh_lifetime=1)
    _, refresh = sign_in_new_user(base_url)
    sleep_past(expiry(refresh))
    response = call_endpoint(base_url, contract.TOKEN_REFRESH, json={"refresh": refresh})
    assert_401(response, {"detail": "Token is expired", "code": "token_not_valid"})
