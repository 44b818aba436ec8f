"""Every endpoint of the stand-in API, its success and its error cases, over real HTTP on loopback."""

import uuid

import pytest
import requests

from loadtest import config

pytestmark = pytest.mark.slow

TIMEOUT = config.REQUEST_TIMEOUT_S


def call(base_url: str, endpoint: config.Endpoint, access: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {access}"} if access else {}
    return requests.request(
        endpoint.method, base_url + endpoint.path, headers=headers, timeout=TIMEOUT, **kwargs
    )


def fresh_email() -> str:
    return f"new-{uuid.uuid4().hex[:12]}@example.com"


# -- accounts -----------------------------------------------------------------------------------


def test_sign_up_returns_the_user_without_the_password(sandbox_url):
    body = {"email": fresh_email(), "password": "long-enough-1", "first_name": "Amal", "last_name": "Learner"}
    response = call(sandbox_url, config.SIGN_UP, json=body)
    assert response.status_code == 201
    user = response.json()
    assert set(user) == {"id", "email", "first_name", "last_name", "date_joined"}
    assert (user["email"], user["first_name"], user["last_name"]) == (body["email"], "Amal", "Learner")


def test_sign_up_refuses_a_duplicate_email(sandbox_url):
    body = {"email": fresh_email(), "password": "long-enough-1", "first_name": "A", "last_name": "B"}
    assert call(sandbox_url, config.SIGN_UP, json=body).status_code == 201
    again = call(sandbox_url, config.SIGN_UP, json=body | {"email": body["email"].upper()})
    assert again.status_code == 400
    assert again.json() == {"email": ["user with this email already exists."]}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": ""}, "email", "This field may not be blank."),
        (
            {"password": "short1"},
            "password",
            "This password is too short. It must contain at least 8 characters.",
        ),
        ({"password": "1234567890"}, "password", "This password is entirely numeric."),
        ({"password": None}, "password", "This field may not be null."),
        ({"first_name": "x" * 151}, "first_name", "Ensure this field has no more than 150 characters."),
    ],
)
def test_sign_up_field_errors(sandbox_url, change, field, message):
    body = {"email": fresh_email(), "password": "long-enough-1", "first_name": "A", "last_name": "B"} | change
    response = call(sandbox_url, config.SIGN_UP, json=body)
    assert response.status_code == 400
    assert message in response.json()[field]


def test_sign_up_names_every_missing_field(sandbox_url):
    response = call(sandbox_url, config.SIGN_UP, json={})
    assert response.status_code == 400
    assert response.json() == {"email": ["This field is required."], "password": ["This field is required."]}


def test_sign_in_returns_tokens_and_the_user(sandbox_url):
    body = {"email": fresh_email(), "password": "long-enough-1"}
    call(sandbox_url, config.SIGN_UP, json=body)
    response = call(sandbox_url, config.SIGN_IN, json=body)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"access", "refresh", "user"}
    assert data["access"].count(".") == 2 and data["access"] != data["refresh"]
    assert data["user"]["email"] == body["email"]


@pytest.mark.parametrize("wrong", [{"password": "not-the-password"}, {"email": "nobody@example.com"}])
def test_sign_in_with_wrong_credentials_is_401(sandbox_url, wrong):
    body = {"email": fresh_email(), "password": "long-enough-1"}
    call(sandbox_url, config.SIGN_UP, json=body)
    response = call(sandbox_url, config.SIGN_IN, json=body | wrong)
    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials"}


def test_sign_in_without_fields_is_400(sandbox_url):
    response = call(sandbox_url, config.SIGN_IN, json={"email": "a@example.com"})
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_refresh_gives_a_working_access_token(sandbox_url, signed_in):
    _, refresh = signed_in
    response = call(sandbox_url, config.TOKEN_REFRESH, json={"refresh": refresh})
    assert response.status_code == 200
    assert set(response.json()) == {"access"}
    assert call(sandbox_url, config.DASHBOARD, response.json()["access"]).status_code == 200


@pytest.mark.parametrize("which", ["garbage", "access"])
def test_refresh_with_an_invalid_token_is_401(sandbox_url, signed_in, which):
    token = "garbage.token.here" if which == "garbage" else signed_in[0]
    response = call(sandbox_url, config.TOKEN_REFRESH, json={"refresh": token})
    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid or expired", "code": "token_not_valid"}


def test_refresh_without_a_token_is_400(sandbox_url):
    response = call(sandbox_url, config.TOKEN_REFRESH, json={})
    assert response.status_code == 400
    assert response.json() == {"refresh": ["This field is required."]}


# -- dashboard and search -----------------------------------------------------------------------


def test_dashboard_gives_insights_for_the_signed_in_user(sandbox_url, signed_in):
    access, _ = signed_in
    call(sandbox_url, config.CHAT_THREAD, access, json={"title": "Fractions", "message": "Explain fractions"})
    response = call(sandbox_url, config.DASHBOARD, access)
    assert response.status_code == 200
    data = response.json()
    assert data["user"]["email"].startswith("user-")
    assert data["insights"]["chat_threads"] == 1 and data["insights"]["collections"] == 0
    assert [t["title"] for t in data["recent_threads"]] == ["Fractions"]
    assert len(data["recommended"]) == 3


def test_the_dashboard_follows_the_users_changes(sandbox_url, signed_in):
    access, _ = signed_in
    assert call(sandbox_url, config.DASHBOARD, access).json()["insights"]["collections"] == 0
    call(sandbox_url, config.CREATE_COLLECTION, access, json={"name": "Physics"})
    assert call(sandbox_url, config.DASHBOARD, access).json()["insights"]["collections"] == 1


def test_search_is_paginated_with_absolute_links(sandbox_url, signed_in):
    access, _ = signed_in
    first = call(sandbox_url, config.SEARCH, access, params={"q": "course"})
    assert first.status_code == 200
    data = first.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] > 10 and len(data["results"]) == 10 and data["previous"] is None
    assert data["next"] == f"{sandbox_url}{config.SEARCH.path}?page=2&q=course"
    second = requests.get(data["next"], headers={"Authorization": f"Bearer {access}"}, timeout=TIMEOUT).json()
    assert second["previous"] == f"{sandbox_url}{config.SEARCH.path}?q=course"
    assert {r["id"] for r in second["results"]}.isdisjoint({r["id"] for r in data["results"]})


def test_search_finds_matching_items_only(sandbox_url, signed_in):
    data = call(sandbox_url, config.SEARCH, signed_in[0], params={"q": "Python"}).json()
    assert data["count"] >= 1 and all("python" in r["title"].lower() for r in data["results"])
    assert call(sandbox_url, config.SEARCH, signed_in[0], params={"q": "zzzz"}).json()["count"] == 0


@pytest.mark.parametrize(
    ("params", "error"), [({}, "This field is required."), ({"q": " "}, "This field may not be blank.")]
)
def test_search_without_a_query_is_400(sandbox_url, signed_in, params, error):
    response = call(sandbox_url, config.SEARCH, signed_in[0], params=params)
    assert response.status_code == 400
    assert response.json() == {"q": [error]}


@pytest.mark.parametrize("page", ["0", "999", "two"])
def test_a_page_out_of_range_is_404_invalid_page(sandbox_url, signed_in, page):
    response = call(sandbox_url, config.SEARCH, signed_in[0], params={"q": "course", "page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


# -- AI assistant -------------------------------------------------------------------------------


def test_tools_and_templates(sandbox_url, signed_in):
    response = call(sandbox_url, config.TOOLS_AND_TEMPLATES, signed_in[0])
    assert response.status_code == 200
    assert response.json()["tools"] and response.json()["templates"]


def test_the_mystery_box_holds_an_item(sandbox_url, signed_in):
    response = call(sandbox_url, config.MYSTERY_BOX, signed_in[0])
    assert response.status_code == 200
    assert {"id", "kind", "title", "content"} <= set(response.json())


def test_a_chat_thread_is_created_with_the_message_and_an_answer(sandbox_url, signed_in):
    response = call(
        sandbox_url, config.CHAT_THREAD, signed_in[0], json={"title": "Algebra", "message": "What is x?"}
    )
    assert response.status_code == 201
    thread = response.json()
    assert thread["title"] == "Algebra" and isinstance(thread["id"], int)
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"]
    assert thread["messages"][0]["content"] == "What is x?"


def test_a_chat_thread_title_is_optional(sandbox_url, signed_in):
    response = call(sandbox_url, config.CHAT_THREAD, signed_in[0], json={"message": "Tell me about stars"})
    assert response.status_code == 201
    assert response.json()["title"] == "Tell me about stars"


@pytest.mark.parametrize(
    ("body", "error"),
    [({"title": "t"}, "This field is required."), ({"message": ""}, "This field may not be blank.")],
)
def test_a_chat_thread_needs_a_message(sandbox_url, signed_in, body, error):
    response = call(sandbox_url, config.CHAT_THREAD, signed_in[0], json=body)
    assert response.status_code == 400
    assert response.json() == {"message": [error]}


def test_my_collections_lists_the_users_collections_newest_first(sandbox_url, signed_in):
    access, _ = signed_in
    assert call(sandbox_url, config.MY_COLLECTIONS, access).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    for n in range(12):
        created = call(
            sandbox_url, config.CREATE_COLLECTION, access, json={"name": f"c{n}", "description": "d"}
        )
        assert created.status_code == 201
    data = call(sandbox_url, config.MY_COLLECTIONS, access).json()
    assert data["count"] == 12 and data["next"].endswith("?page=2")
    assert [c["name"] for c in data["results"]][:2] == ["c11", "c10"]
    assert [
        c["name"]
        for c in call(sandbox_url, config.MY_COLLECTIONS, access, params={"page": 2}).json()["results"]
    ] == ["c1", "c0"]


def test_create_collection_returns_it(sandbox_url, signed_in):
    response = call(
        sandbox_url, config.CREATE_COLLECTION, signed_in[0], json={"name": "Revision", "description": "Exam"}
    )
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("name", "description")} == {
        "name": "Revision",
        "description": "Exam",
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [({"description": "d"}, "This field is required."), ({"name": "  "}, "This field may not be blank.")],
)
def test_create_collection_needs_a_name(sandbox_url, signed_in, body, error):
    response = call(sandbox_url, config.CREATE_COLLECTION, signed_in[0], json=body)
    assert response.status_code == 400
    assert response.json() == {"name": [error]}


def test_the_library_is_paginated_and_filters_by_category(sandbox_url, signed_in):
    access, _ = signed_in
    everything = call(sandbox_url, config.LIBRARY, access).json()
    assert everything["count"] == 90 and len(everything["results"]) == 10
    science = call(sandbox_url, config.LIBRARY, access, params={"category": "science", "page": 2}).json()
    assert science["count"] == 15 and len(science["results"]) == 5
    assert {item["category"] for item in science["results"]} == {"science"}
    assert science["previous"] == f"{sandbox_url}{config.LIBRARY.path}?category=science"
    assert call(sandbox_url, config.LIBRARY, access, params={"category": "cooking"}).json()["count"] == 0
    assert call(sandbox_url, config.LIBRARY, access, params={"page": 10}).status_code == 404


# -- help center --------------------------------------------------------------------------------


def test_help_articles_need_no_sign_in(sandbox_url):
    response = call(sandbox_url, config.HELP_ARTICLES)
    assert response.status_code == 200
    assert all({"id", "slug", "title"} <= set(article) for article in response.json())


def test_contact_us_stores_the_message(sandbox_url, signed_in):
    body = {"name": "Amal", "email": "amal@example.com", "subject": "Hello", "message": "I love it"}
    response = call(sandbox_url, config.CONTACT_US, signed_in[0], json=body)
    assert response.status_code == 201
    assert response.json().items() >= body.items()


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"email": "amal-at-example"}, "email", "Enter a valid email address."),
        ({"message": ""}, "message", "This field may not be blank."),
        ({"message": None}, "message", "This field may not be null."),
    ],
)
def test_contact_us_validates_email_and_message(sandbox_url, signed_in, change, field, error):
    body = {"name": "Amal", "email": "amal@example.com", "subject": "Hello", "message": "Hi"} | change
    response = call(sandbox_url, config.CONTACT_US, signed_in[0], json=body)
    assert response.status_code == 400
    assert response.json() == {field: [error]}


# -- authentication on every protected endpoint -------------------------------------------------


@pytest.mark.parametrize("endpoint", [e for e in config.ENDPOINTS if e.auth], ids=lambda e: e.name)
def test_every_protected_endpoint_refuses_a_request_without_a_token(sandbox_url, endpoint):
    response = call(sandbox_url, endpoint, json={} if endpoint.method == "POST" else None)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("endpoint", [e for e in config.ENDPOINTS if not e.auth], ids=lambda e: e.name)
def test_public_endpoints_never_ask_for_a_token(sandbox_url, endpoint):
    response = call(sandbox_url, endpoint, json={} if endpoint.method == "POST" else None)
    assert response.status_code in (200, 400)
