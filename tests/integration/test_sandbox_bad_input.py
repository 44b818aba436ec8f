"""Bad client input never gives a 500 or a traceback: 400, 404, 405 and 413 as JSON."""

import pytest
import requests

from loadtest import config
from loadtest.sandbox.web import MAX_BODY_BYTES

pytestmark = pytest.mark.slow

TIMEOUT = config.REQUEST_TIMEOUT_S
POSTS = [e for e in config.ENDPOINTS if e.method == "POST"]


def post(base_url: str, endpoint: config.Endpoint, access: str, data, session=requests) -> requests.Response:
    headers = {"Authorization": f"Bearer {access}", "Content-Type": "application/json"}
    return session.post(base_url + endpoint.path, data=data, headers=headers, timeout=TIMEOUT)


def test_a_body_over_1_mib_is_413_and_the_connection_stays_usable(sandbox_url, signed_in):
    with requests.Session() as session:
        response = post(sandbox_url, config.CONTACT_US, signed_in[0], b"x" * (MAX_BODY_BYTES + 1), session)
        assert response.status_code == 413
        assert response.json()["detail"].startswith("Request body is larger than")
        assert session.get(sandbox_url + config.HELP_ARTICLES.path, timeout=TIMEOUT).status_code == 200


def test_a_chunked_body_over_1_mib_is_413(sandbox_url, signed_in):
    chunks = (b"x" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 1))
    assert post(sandbox_url, config.CONTACT_US, signed_in[0], chunks).status_code == 413


def test_a_body_of_exactly_1_mib_is_read(sandbox_url, signed_in):
    body = b'{"message": "' + b"x" * (MAX_BODY_BYTES - 20) + b'"}'
    response = post(sandbox_url, config.CONTACT_US, signed_in[0], body.ljust(MAX_BODY_BYTES))
    assert response.status_code == 400  # parsed, then refused for its content, not its size
    assert "email" in response.json()


@pytest.mark.parametrize(
    "body",
    [b"{bad", b'{"email": ', b"\xff\xfe\x00garbage", b"[" * 100_000, b'{"a": NaN'],
    ids=["unquoted", "truncated", "not-utf8", "deeply-nested", "nan"],
)
def test_malformed_json_is_400_parse_error(sandbox_url, signed_in, body):
    response = post(sandbox_url, config.CREATE_COLLECTION, signed_in[0], body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize(
    ("body", "kind"), [(b"[]", "list"), (b'"name"', "str"), (b"3", "int"), (b"null", "null")]
)
def test_json_that_is_not_an_object_is_400(sandbox_url, signed_in, body, kind):
    response = post(sandbox_url, config.CREATE_COLLECTION, signed_in[0], body)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}


@pytest.mark.parametrize("endpoint", POSTS, ids=lambda e: e.name)
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b'{"email": 5, "password": [], "name": {}, "message": true, "refresh": 1.5, "title": null}',
        b'{"email": "\\ud800@x.io", "password": "\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000"}',
    ],
    ids=["empty", "object", "wrong-types", "odd-unicode"],
)
def test_odd_bodies_never_give_a_server_error(sandbox_url, signed_in, endpoint, body):
    response = post(sandbox_url, endpoint, signed_in[0], body)
    assert response.status_code in (200, 201, 400, 401), response.text
    assert "Traceback" not in response.text
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize(
    "path", ["/", "/api/", "/api/dashboard", "/api/dashboard/extra/", "/__sandbox/nothing"]
)
def test_unknown_paths_are_404(sandbox_url, path):
    response = requests.get(sandbox_url + path, timeout=TIMEOUT)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("method", "endpoint", "allow"),
    [
        ("POST", config.DASHBOARD, "GET, OPTIONS"),
        ("DELETE", config.LIBRARY, "GET, OPTIONS"),
        ("GET", config.SIGN_IN, "POST, OPTIONS"),
        ("PUT", config.CONTACT_US, "POST, OPTIONS"),
    ],
)
def test_a_wrong_method_is_405_with_allow(sandbox_url, method, endpoint, allow):
    response = requests.request(method, sandbox_url + endpoint.path, timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert response.headers["Allow"] == allow


def test_options_lists_the_allowed_methods(sandbox_url):
    response = requests.options(sandbox_url + config.SIGN_UP.path, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Allow"] == "POST, OPTIONS"
