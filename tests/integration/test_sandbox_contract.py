"""Every endpoint of the stand-in API, its success and its error cases, over real HTTP on loopback.

The bodies are those of the contract (``loadtest.contract``): DRF's field errors, SimpleJWT's tokens.
"""

import re
import uuid

import pytest

from loadtest import contract
from loadtest.sandbox import catalog
from tests.integration.conftest import PASSWORD, api_request, call_endpoint

pytestmark = pytest.mark.slow

REQUIRED = ["This field is required."]
BLANK = ["This field may not be blank."]
NULL = ["This field may not be null."]
USER_FIELDS = {"id", "email", "username", "first_name", "last_name", "date_joined", "is_active"}
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
CHAT = {"message": "What is x?", "role": 1}
COLLECTION = {"title": "Revision", "description": "Exam", "privacy": 1, "color_code": "#1A2B3C"}
CONTACT = {
    "first_name": "Amal",
    "last_name": "Learner",
    "email": "amal@example.com",
    "phone_number": "+44 20 7946 0000",
    "message": "I love it",
}


def call(base_url: str, endpoint: contract.Endpoint, access: str | None = None, **kwargs):
    return call_endpoint(base_url, endpoint, access=access, **kwargs)


def fresh_email() -> str:
    return f"new-{uuid.uuid4().hex[:12]}@example.com"


def sign_up(base_url: str) -> tuple[str, dict]:
    """A fresh account: (its email, the 201 body)."""
    email = fresh_email()
    response = call(base_url, contract.SIGN_UP, json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return email, response.json()


def is_uuid(text: object) -> bool:
    try:
        return isinstance(text, str) and str(uuid.UUID(text)) == text
    except ValueError:
        return False


# -- accounts -----------------------------------------------------------------------------------


def test_sign_up_answers_working_tokens_and_the_user_without_the_password(sandbox_url):
    email = fresh_email()
    response = call(sandbox_url, contract.SIGN_UP, json={"email": email, "password": PASSWORD})
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"access", "refresh", "user"}
    assert set(data["user"]) == USER_FIELDS and PASSWORD not in response.text
    user = data["user"]
    assert (user["email"], user["username"], user["is_active"]) == (email, email, True)
    assert ISO_UTC.fullmatch(user["date_joined"]) and isinstance(user["id"], int)
    assert data["access"].count(".") == 2 and data["access"] != data["refresh"]
    dashboard = call(sandbox_url, contract.DASHBOARD, data["access"])
    assert dashboard.status_code == 200 and dashboard.json()["user"]["email"] == email
    assert call(sandbox_url, contract.TOKEN_REFRESH, json={"refresh": data["refresh"]}).status_code == 200


def test_sign_up_of_an_existing_email_is_409_whatever_its_case(sandbox_url):
    email, _ = sign_up(sandbox_url)
    again = call(sandbox_url, contract.SIGN_UP, json={"email": email.upper(), "password": PASSWORD})
    assert again.status_code == 409
    assert again.json() == {"detail": "A user with this email already exists."}


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"email": ""}, {"email": BLANK}),
        ({"email": None}, {"email": NULL}),
        ({"email": "a" * 250 + "@x.io"}, {"email": ["Ensure this field has no more than 254 characters."]}),
        (
            {"password": "short1"},
            {"password": ["This password is too short. It must contain at least 8 characters."]},
        ),
        ({"password": "1234567890"}, {"password": ["This password is entirely numeric."]}),
        (
            {"password": "1234"},
            {
                "password": [
                    "This password is too short. It must contain at least 8 characters.",
                    "This password is entirely numeric.",
                ]
            },
        ),
        ({"password": ["long-enough-1"]}, {"password": ["Not a valid string."]}),
        ({"password": None}, {"password": NULL}),
    ],
)
def test_sign_up_field_errors(sandbox_url, change, errors):
    body = {"email": fresh_email(), "password": "long-enough-1"} | change
    response = call(sandbox_url, contract.SIGN_UP, json=body)
    assert response.status_code == 400
    assert response.json() == errors


def test_sign_up_names_every_missing_field(sandbox_url):
    response = call(sandbox_url, contract.SIGN_UP, json={})
    assert response.status_code == 400
    assert response.json() == {"email": REQUIRED, "password": REQUIRED}


def test_sign_in_by_username_answers_tokens_and_the_user_fields(sandbox_url):
    email, signed_up = sign_up(sandbox_url)
    response = call(sandbox_url, contract.SIGN_IN, json={"username": email, "password": PASSWORD})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"access", "refresh"} | USER_FIELDS
    assert {k: data[k] for k in USER_FIELDS} == signed_up["user"]
    assert data["access"] not in (signed_up["access"], data["refresh"])
    assert call(sandbox_url, contract.DASHBOARD, data["access"]).json()["user"]["email"] == email


def test_sign_in_with_email_instead_of_username_is_400_naming_username(sandbox_url):
    email, _ = sign_up(sandbox_url)
    response = call(sandbox_url, contract.SIGN_IN, json={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == {"username": REQUIRED}


def test_sign_in_without_a_password_is_400(sandbox_url):
    response = call(sandbox_url, contract.SIGN_IN, json={"username": "a@example.com"})
    assert response.status_code == 400
    assert response.json() == {"password": REQUIRED}


@pytest.mark.parametrize(
    "wrong", [{"password": "not-the-password"}, {"username": "nobody@example.com"}], ids=["password", "user"]
)
def test_sign_in_with_wrong_credentials_is_401(sandbox_url, wrong):
    email, _ = sign_up(sandbox_url)
    response = call(sandbox_url, contract.SIGN_IN, json={"username": email, "password": PASSWORD} | wrong)
    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials"}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_refresh_rotates_the_pair_and_blacklists_the_token_it_used(sandbox_url, signed_in):
    _, first = signed_in
    response = call(sandbox_url, contract.TOKEN_REFRESH, json={"refresh": first})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"access", "refresh"} and data["refresh"] != first
    assert call(sandbox_url, contract.DASHBOARD, data["access"]).status_code == 200
    reused = call(sandbox_url, contract.TOKEN_REFRESH, json={"refresh": first})
    assert reused.status_code == 401
    assert reused.json() == {"detail": "Token is blacklisted", "code": "token_not_valid"}
    assert reused.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    # The rotated token is a working one, used once like any other.
    assert call(sandbox_url, contract.TOKEN_REFRESH, json={"refresh": data["refresh"]}).status_code == 200


@pytest.mark.parametrize(
    ("which", "detail"),
    [("garbage", "Token is invalid"), ("forged", "Token is invalid"), ("access", "Token has wrong type")],
)
def test_refresh_with_an_invalid_token_is_401(sandbox_url, signed_in, which, detail):
    access, refresh = signed_in
    header, payload, _ = refresh.split(".")
    token = {"garbage": "garbage.token.here", "forged": f"{header}.{payload}.forged", "access": access}[which]
    response = call(sandbox_url, contract.TOKEN_REFRESH, json={"refresh": token})
    assert response.status_code == 401
    assert response.json() == {"detail": detail, "code": "token_not_valid"}


@pytest.mark.parametrize(
    ("body", "errors"), [({}, REQUIRED), ({"refresh": ""}, BLANK), ({"refresh": None}, NULL)]
)
def test_refresh_without_a_token_is_400(sandbox_url, body, errors):
    response = call(sandbox_url, contract.TOKEN_REFRESH, json=body)
    assert response.status_code == 400
    assert response.json() == {"refresh": errors}


# -- dashboard and search -----------------------------------------------------------------------


def test_dashboard_gives_insights_for_the_signed_in_user(sandbox_url):
    email, signed_up = sign_up(sandbox_url)
    access = signed_up["access"]
    before = call(sandbox_url, contract.DASHBOARD, access)
    assert before.status_code == 200
    assert before.json()["user"]["email"] == email
    assert before.json()["insights"]["chat_threads"] == 0 and before.json()["recent_threads"] == []
    thread = call(sandbox_url, contract.CHAT_THREAD, access, json={"message": "Explain fractions", "role": 1})
    data = call(sandbox_url, contract.DASHBOARD, access).json()
    assert data["insights"]["chat_threads"] == 1 and data["insights"]["collections"] == 0
    assert [(t["thread_id"], t["title"]) for t in data["recent_threads"]] == [
        (thread.json()["thread_id"], "Explain fractions")
    ]
    assert len(data["recommended"]) == 3


def test_the_dashboard_follows_the_users_collections(sandbox_url, signed_in):
    access, _ = signed_in
    assert call(sandbox_url, contract.DASHBOARD, access).json()["insights"]["collections"] == 0
    assert call(sandbox_url, contract.CREATE_COLLECTION, access, json=COLLECTION).status_code == 201
    assert call(sandbox_url, contract.DASHBOARD, access).json()["insights"]["collections"] == 1


def test_search_is_paginated_with_absolute_links(sandbox_url, signed_in):
    access, _ = signed_in
    first = call(sandbox_url, contract.SEARCH, access, params={"q": "course"})
    assert first.status_code == 200
    data = first.json()
    assert set(data) == {"count", "next", "previous", "results"}
    assert data["count"] > 10 and len(data["results"]) == 10 and data["previous"] is None
    assert data["next"] == f"{sandbox_url}{contract.SEARCH.path}?page=2&q=course"
    second = api_request("GET", data["next"], access=access).json()
    assert second["previous"] == f"{sandbox_url}{contract.SEARCH.path}?q=course"
    assert {r["id"] for r in second["results"]}.isdisjoint({r["id"] for r in data["results"]})


def test_search_finds_matching_items_only(sandbox_url, signed_in):
    data = call(sandbox_url, contract.SEARCH, signed_in[0], params={"q": "Python"}).json()
    assert data["count"] >= 1 and all("python" in r["title"].lower() for r in data["results"])
    assert call(sandbox_url, contract.SEARCH, signed_in[0], params={"q": "zzzz"}).json()["count"] == 0


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}], ids=["absent", "empty", "spaces"])
def test_a_search_without_words_finds_everything(sandbox_url, signed_in, params):
    response = call(sandbox_url, contract.SEARCH, signed_in[0], params=params)
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == len(catalog.SEARCHABLE) and len(data["results"]) == 10
    assert data["results"] == catalog.SEARCHABLE[:10]


def test_a_search_query_over_200_characters_is_400(sandbox_url, signed_in):
    response = call(sandbox_url, contract.SEARCH, signed_in[0], params={"q": "x" * 201})
    assert response.status_code == 400
    assert response.json() == {"q": ["Ensure this field has no more than 200 characters."]}


@pytest.mark.parametrize("page", ["0", "999", "two"])
def test_a_page_out_of_range_is_404_invalid_page(sandbox_url, signed_in, page):
    response = call(sandbox_url, contract.SEARCH, signed_in[0], params={"q": "course", "page": page})
    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


# -- AI assistant -------------------------------------------------------------------------------


def test_tools_and_templates(sandbox_url, signed_in):
    response = call(sandbox_url, contract.TOOLS_AND_TEMPLATES, signed_in[0])
    assert response.status_code == 200
    assert response.json() == {"tools": catalog.TOOLS, "templates": catalog.TEMPLATES}


def test_the_mystery_box_holds_an_item(sandbox_url, signed_in):
    response = call(sandbox_url, contract.MYSTERY_BOX, signed_in[0])
    assert response.status_code == 200
    assert response.json() in catalog.MYSTERY_BOXES


@pytest.mark.parametrize("role", [1, "1", 2])
def test_a_chat_thread_answers_200_with_a_uuid_thread_id_and_the_messages(sandbox_url, signed_in, role):
    message = "What is x, and why does algebra need letters at all?"
    response = call(sandbox_url, contract.CHAT_THREAD, signed_in[0], json={"message": message, "role": role})
    assert response.status_code == 200
    thread = response.json()
    assert set(thread) == {"thread_id", "title", "messages"}
    assert is_uuid(thread["thread_id"]) and thread["title"] == message[:50]
    assert [(m["role"], m["message"]) for m in thread["messages"]][0] == (int(role), message)
    assert [m["role"] for m in thread["messages"]] == [int(role), 2]
    other = call(sandbox_url, contract.CHAT_THREAD, signed_in[0], json=CHAT).json()
    assert other["thread_id"] != thread["thread_id"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"role": 1}, {"message": REQUIRED}),
        ({"message": "", "role": 1}, {"message": BLANK}),
        (
            {"message": "x" * 4001, "role": 1},
            {"message": ["Ensure this field has no more than 4000 characters."]},
        ),
        ({"message": "Hi"}, {"role": REQUIRED}),
        ({"message": "Hi", "role": 3}, {"role": ['"3" is not a valid choice.']}),
        ({"message": "Hi", "role": "user"}, {"role": ['"user" is not a valid choice.']}),
        ({"message": "Hi", "role": None}, {"role": NULL}),
        ({}, {"message": REQUIRED, "role": REQUIRED}),
    ],
)
def test_a_chat_thread_needs_a_message_and_a_role(sandbox_url, signed_in, body, errors):
    response = call(sandbox_url, contract.CHAT_THREAD, signed_in[0], json=body)
    assert response.status_code == 400
    assert response.json() == errors


def test_create_collection_answers_201_with_a_uuid_id(sandbox_url, signed_in):
    response = call(sandbox_url, contract.CREATE_COLLECTION, signed_in[0], json=COLLECTION)
    assert response.status_code == 201
    created = response.json()
    assert is_uuid(created["id"]) and ISO_UTC.fullmatch(created["created_at"])
    assert {k: created[k] for k in COLLECTION} == COLLECTION


def test_a_collection_description_is_optional_and_privacy_may_be_text(sandbox_url, signed_in):
    body = {"title": "Physics", "privacy": "2", "color_code": "#abcdef"}
    response = call(sandbox_url, contract.CREATE_COLLECTION, signed_in[0], json=body)
    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("title", "description", "privacy", "color_code")} == {
        "title": "Physics",
        "description": "",
        "privacy": 2,
        "color_code": "#abcdef",
    }


COLOUR_ERROR = ["Enter a colour code like #1A2B3C."]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"title": None}, {"title": NULL}),
        ({"title": "  "}, {"title": BLANK}),
        ({"title": "t" * 101}, {"title": ["Ensure this field has no more than 100 characters."]}),
        ({"color_code": "red"}, {"color_code": COLOUR_ERROR}),
        ({"color_code": "#12345G"}, {"color_code": COLOUR_ERROR}),
        ({"color_code": "#1234567"}, {"color_code": COLOUR_ERROR}),
        ({"color_code": "1A2B3C"}, {"color_code": COLOUR_ERROR}),
        ({"privacy": 3}, {"privacy": ['"3" is not a valid choice.']}),
        ({"privacy": "public"}, {"privacy": ['"public" is not a valid choice.']}),
        ({"privacy": True}, {"privacy": ['"True" is not a valid choice.']}),
    ],
)
def test_create_collection_field_errors(sandbox_url, signed_in, change, errors):
    response = call(sandbox_url, contract.CREATE_COLLECTION, signed_in[0], json=COLLECTION | change)
    assert response.status_code == 400
    assert response.json() == errors


def test_create_collection_without_a_title_is_400_and_only_description_may_be_missing(sandbox_url, signed_in):
    without_title = {k: v for k, v in COLLECTION.items() if k != "title"}
    response = call(sandbox_url, contract.CREATE_COLLECTION, signed_in[0], json=without_title)
    assert response.status_code == 400
    assert response.json() == {"title": REQUIRED}
    nothing = call(sandbox_url, contract.CREATE_COLLECTION, signed_in[0], json={})
    assert nothing.json() == {"title": REQUIRED, "privacy": REQUIRED, "color_code": REQUIRED}


def test_my_collections_lists_the_users_collections_newest_first(sandbox_url, signed_in):
    access, _ = signed_in
    assert call(sandbox_url, contract.MY_COLLECTIONS, access).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    for n in range(12):
        created = call(sandbox_url, contract.CREATE_COLLECTION, access, json=COLLECTION | {"title": f"c{n}"})
        assert created.status_code == 201
    data = call(sandbox_url, contract.MY_COLLECTIONS, access).json()
    assert data["count"] == 12 and data["next"] == f"{sandbox_url}{contract.MY_COLLECTIONS.path}?page=2"
    assert [c["title"] for c in data["results"]][:2] == ["c11", "c10"]
    second = call(sandbox_url, contract.MY_COLLECTIONS, access, params={"page": 2}).json()
    assert [c["title"] for c in second["results"]] == ["c1", "c0"]


def test_the_library_is_paginated_and_filters_by_category(sandbox_url, signed_in):
    access, _ = signed_in
    everything = call(sandbox_url, contract.LIBRARY, access).json()
    assert everything["count"] == 90 and len(everything["results"]) == 10
    science = call(sandbox_url, contract.LIBRARY, access, params={"category": "science", "page": 2}).json()
    assert science["count"] == 15 and len(science["results"]) == 5
    assert {item["category"] for item in science["results"]} == {"science"}
    assert science["previous"] == f"{sandbox_url}{contract.LIBRARY.path}?category=science"
    assert call(sandbox_url, contract.LIBRARY, access, params={"category": "cooking"}).json()["count"] == 0
    assert call(sandbox_url, contract.LIBRARY, access, params={"page": 10}).status_code == 404


@pytest.mark.parametrize("category", contract.LIBRARY_CATEGORIES)
def test_every_category_the_load_test_filters_by_has_items(sandbox_url, signed_in, category):
    data = call(sandbox_url, contract.LIBRARY, signed_in[0], params={"category": category}).json()
    assert data["count"] == 15, f"the stand-in serves no {category!r} items"
    assert {item["category"] for item in data["results"]} == {category}


# -- help center --------------------------------------------------------------------------------


def test_help_articles_need_no_sign_in(sandbox_url):
    response = call(sandbox_url, contract.HELP_ARTICLES)
    assert response.status_code == 200
    assert response.json() == catalog.HELP_ARTICLES
    assert all({"id", "slug", "title"} <= set(article) for article in response.json())


def test_contact_us_answers_201_with_the_stored_message(sandbox_url, signed_in):
    response = call(sandbox_url, contract.CONTACT_US, signed_in[0], json=CONTACT)
    assert response.status_code == 201
    stored = response.json()
    assert stored.items() >= CONTACT.items()
    assert isinstance(stored["id"], int) and ISO_UTC.fullmatch(stored["created_at"])


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"first_name": None}, {"first_name": NULL}),
        ({"first_name": ""}, {"first_name": BLANK}),
        ({"last_name": "x" * 151}, {"last_name": ["Ensure this field has no more than 150 characters."]}),
        ({"email": "amal-at-example"}, {"email": ["Enter a valid email address."]}),
        ({"phone_number": "1" * 21}, {"phone_number": ["Ensure this field has no more than 20 characters."]}),
        ({"message": ""}, {"message": BLANK}),
        ({"message": None}, {"message": NULL}),
    ],
)
def test_contact_us_field_errors(sandbox_url, signed_in, change, errors):
    response = call(sandbox_url, contract.CONTACT_US, signed_in[0], json=CONTACT | change)
    assert response.status_code == 400
    assert response.json() == errors


def test_contact_us_names_first_name_and_last_name_when_they_are_missing(sandbox_url, signed_in):
    body = {k: v for k, v in CONTACT.items() if k not in ("first_name", "last_name")}
    response = call(sandbox_url, contract.CONTACT_US, signed_in[0], json=body)
    assert response.status_code == 400
    assert response.json() == {"first_name": REQUIRED, "last_name": REQUIRED}
    legacy = {"name": "Amal", "email": "amal@example.com", "subject": "Hello", "message": "Hi"}
    assert call(sandbox_url, contract.CONTACT_US, signed_in[0], json=legacy).json() == {
        "first_name": REQUIRED,
        "last_name": REQUIRED,
        "phone_number": REQUIRED,
    }


# -- authentication on every endpoint -----------------------------------------------------------


@pytest.mark.parametrize("endpoint", [e for e in contract.ENDPOINTS if e.auth], ids=lambda e: e.name)
def test_every_protected_endpoint_refuses_a_request_without_a_token(sandbox_url, endpoint):
    response = call(sandbox_url, endpoint, json={} if endpoint.method == "POST" else None)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("endpoint", [e for e in contract.ENDPOINTS if not e.auth], ids=lambda e: e.name)
def test_public_endpoints_never_ask_for_a_token(sandbox_url, endpoint):
    response = call(sandbox_url, endpoint, json={} if endpoint.method == "POST" else None)
    assert response.status_code == (400 if endpoint.body else endpoint.status), response.text
    assert "WWW-Authenticate" not in response.headers


def test_every_endpoint_answers_its_contract_status_and_passes_the_load_tests_check(sandbox_url):
    """One valid request per endpoint, built as a load test would, checked as it would check it."""
    email, signed_up = sign_up(sandbox_url)
    bodies = {
        contract.SIGN_UP: {"email": fresh_email(), "password": PASSWORD},
        contract.SIGN_IN: {"username": email, "password": PASSWORD},
        contract.TOKEN_REFRESH: {"refresh": signed_up["refresh"]},
        contract.CHAT_THREAD: CHAT,
        contract.CREATE_COLLECTION: COLLECTION,
        contract.CONTACT_US: CONTACT,
    }
    assert set(bodies) == {e for e in contract.API if e.body}
    for endpoint in contract.API:
        response = call(
            sandbox_url, endpoint, signed_up["access"] if endpoint.auth else None, json=bodies.get(endpoint)
        )
        assert response.status_code == endpoint.status, (endpoint.name, response.text)
        assert endpoint.check(response.json()) is None, (endpoint.name, response.text)
