"""Bad client input never gives a 500 or a traceback: 400, 403, 404, 405 and 413 as JSON."""

import pytest
import requests

from loadtest import contract
from loadtest.sandbox.web import MAX_BODY_BYTES
from tests.integration.conftest import api_request, call_endpoint

pytestmark = pytest.mark.slow

POSTS = [e for e in contract.ENDPOINTS if e.method == "POST"]
REQUIRED = ["This field is required."]


def post(base_url: str, endpoint: contract.Endpoint, access: str, data, session=None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    return call_endpoint(base_url, endpoint, access=access, data=data, headers=headers, session=session)


def test_a_body_over_1_mib_is_413_and_the_connection_stays_usable(sandbox_url, signed_in):
    with requests.Session() as session:
        response = post(sandbox_url, contract.CONTACT_US, signed_in[0], b"x" * (MAX_BODY_BYTES + 1), session)
        assert response.status_code == 413
        assert response.json() == {"detail": f"Request body is larger than {MAX_BODY_BYTES} bytes."}
        assert call_endpoint(sandbox_url, contract.HELP_ARTICLES, session=session).status_code == 200


def test_a_chunked_body_over_1_mib_is_413(sandbox_url, signed_in):
    chunks = (b"x" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 1))
    response = post(sandbox_url, contract.CONTACT_US, signed_in[0], chunks)
    assert response.status_code == 413
    assert response.json()["detail"].startswith("Request body is larger than")


def test_a_body_of_exactly_1_mib_is_read(sandbox_url, signed_in):
    body = b'{"message": "' + b"x" * (MAX_BODY_BYTES - 20) + b'"}'
    response = post(sandbox_url, contract.CONTACT_US, signed_in[0], body.ljust(MAX_BODY_BYTES))
    assert response.status_code == 400  # parsed whole, then refused for its content, not its size
    assert response.json() == {
        "first_name": REQUIRED,
        "last_name": REQUIRED,
        "email": REQUIRED,
        "phone_number": REQUIRED,
        "message": ["Ensure this field has no more than 5000 characters."],
    }


@pytest.mark.parametrize(
    "body",
    [b"{bad", b'{"title": ', b"\xff\xfe\x00garbage", b"[" * 100_000, b'{"a": NaN'],
    ids=["unquoted", "truncated", "not-utf8", "deeply-nested", "nan"],
)
def test_malformed_json_is_400_parse_error(sandbox_url, signed_in, body):
    response = post(sandbox_url, contract.CREATE_COLLECTION, signed_in[0], body)
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert response.json()["detail"].startswith("JSON parse error - ")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"[]", "list"),
        (b'"title"', "str"),
        (b"3", "int"),
        (b"1.5", "float"),
        (b"true", "bool"),
        (b"null", "null"),
    ],
)
def test_json_that_is_not_an_object_is_400(sandbox_url, signed_in, body, kind):
    response = post(sandbox_url, contract.CREATE_COLLECTION, signed_in[0], body)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}


@pytest.mark.parametrize("endpoint", POSTS, ids=lambda e: e.name)
@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{}",
        b'{"email": 5, "password": [], "username": {}, "message": true, "refresh": 1.5, "title": null,'
        b' "role": [1], "privacy": {}, "color_code": 7, "first_name": false, "phone_number": []}',
        b'{"email": "\\ud800@x.io", "password": "\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000\\u0000",'
        b' "username": "\\udfff@x.io", "message": "\\ud83d", "title": "\\u0000", "role": "\\ud800"}',
    ],
    ids=["empty", "object", "wrong-types", "odd-unicode"],
)
def test_odd_bodies_never_give_a_server_error(sandbox_url, signed_in, endpoint, body):
    response = post(sandbox_url, endpoint, signed_in[0], body)
    assert response.status_code in (200, 201, 400, 401, 409), response.text
    assert "Traceback" not in response.text
    assert isinstance(response.json(), dict)


def test_an_empty_body_is_an_empty_object(sandbox_url, signed_in):
    response = post(sandbox_url, contract.CHAT_THREAD, signed_in[0], b"")
    assert response.status_code == 400
    assert response.json() == {"message": REQUIRED, "role": REQUIRED}


@pytest.mark.parametrize(
    "path", ["/", "/api/", "/api/dashboard", "/api/dashboard/extra/", "/__sandbox/nothing", "/api/%ff/"]
)
@pytest.mark.parametrize("with_key", [True, False], ids=["key", "no-key"])
def test_unknown_paths_are_404_with_or_without_a_key(sandbox_url, path, with_key):
    response = api_request("GET", sandbox_url + path, **({} if with_key else {"key": None}))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    ("method", "endpoint", "allow"),
    [
        ("POST", contract.DASHBOARD, "GET, OPTIONS"),
        ("DELETE", contract.LIBRARY, "GET, OPTIONS"),
        ("GET", contract.SIGN_IN, "POST, OPTIONS"),
        ("PUT", contract.CONTACT_US, "POST, OPTIONS"),
        ("PATCH", contract.HELP_ARTICLES, "GET, OPTIONS"),
    ],
)
def test_a_wrong_method_is_405_with_allow(sandbox_url, method, endpoint, allow):
    response = api_request(method, sandbox_url + endpoint.path)
    assert response.status_code == 405
    assert response.json() == {"detail": f'Method "{method}" not allowed.'}
    assert response.headers["Allow"] == allow


def test_a_wrong_method_without_the_key_is_403(sandbox_url):
    response = api_request("DELETE", sandbox_url + contract.LIBRARY.path, key=None)
    assert response.status_code == 403
    assert "Allow" not in response.headers


def test_options_lists_the_allowed_methods(sandbox_url):
    response = api_request("OPTIONS", sandbox_url + contract.SIGN_UP.path)
    assert response.status_code == 200
    assert response.headers["Allow"] == "POST, OPTIONS"
    assert response.json()["name"] == contract.SIGN_UP.path
