"""Tokens over HTTP: missing, malformed, forged, expired ones give 401 token_not_valid; refresh recovers."""

import time

import pytest
import requests

from loadtest import config

pytestmark = pytest.mark.slow

TIMEOUT = config.REQUEST_TIMEOUT_S


def dashboard(base_url: str, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(base_url + config.DASHBOARD.path, headers=headers, timeout=TIMEOUT)


def assert_token_not_valid(response: requests.Response) -> dict:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == "token_not_valid" and body["detail"]
    return body


def test_a_missing_header_is_401(sandbox_url):
    body = assert_token_not_valid(dashboard(sandbox_url, None))
    assert body["detail"] == "Authentication credentials were not provided."


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer ", "Token abc", "Bearer a b", "bearer x.y.z", "Bearer x.y.z"]
)
def test_a_malformed_header_or_token_is_401(sandbox_url, authorization):
    assert_token_not_valid(dashboard(sandbox_url, authorization))


def test_a_forged_token_is_401(sandbox_url, sandbox_factory, sign_in_new_user, signed_in):
    other_sandbox_access, _ = sign_in_new_user(sandbox_factory())
    body = assert_token_not_valid(dashboard(sandbox_url, f"Bearer {other_sandbox_access}"))
    assert body["messages"][0]["message"] == "Token is invalid"
    header, payload, signature = signed_in[0].split(".")
    assert_token_not_valid(dashboard(sandbox_url, f"Bearer {header}.{payload}.{signature[:-2]}AA"))


def test_a_refresh_token_is_no_access_token(sandbox_url, signed_in):
    body = assert_token_not_valid(dashboard(sandbox_url, f"Bearer {signed_in[1]}"))
    assert body["messages"][0]["message"] == "Token has wrong type"


def test_an_expired_access_token_is_401_and_refresh_recovers(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(access_lifetime=1)
    access, refresh = sign_in_new_user(base_url)
    assert dashboard(base_url, f"Bearer {access}").status_code == 200
    time.sleep(2.1)  # a 1 s lifetime rounds up to at most 2 s
    body = assert_token_not_valid(dashboard(base_url, f"Bearer {access}"))
    assert body["messages"][0]["message"] == "Token is expired"
    renewed = requests.post(base_url + config.TOKEN_REFRESH.path, json={"refresh": refresh}, timeout=TIMEOUT)
    assert renewed.status_code == 200
    assert dashboard(base_url, f"Bearer {renewed.json()['access']}").status_code == 200


def test_an_expired_refresh_token_is_401(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(access_lifetime=1, refresh_lifetime=1)
    _, refresh = sign_in_new_user(base_url)
    time.sleep(2.1)
    response = requests.post(base_url + config.TOKEN_REFRESH.path, json={"refresh": refresh}, timeout=TIMEOUT)
    assert_token_not_valid(response)
