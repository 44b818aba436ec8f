"""The example API (examples/api-repository): Django + DRF + SimpleJWT answering as the facts say.

Everything runs against gunicorn servers started with running_example_api() on 127.0.0.1, each on a
seeded PostgreSQL database of its own.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest
import requests

from tests.conftest import child_environ, run_command
from tests.example_api import EXAMPLE, LISTENING, running_example_api, seeded_database, stop_group

pytestmark = pytest.mark.slow

API_KEY = str(uuid.uuid4())
PASSWORD = "Xk4mP9qL2vR7tB"  # 14 alphanumeric characters, like the load test's fake passwords
TIMEOUT = 10
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
LIBRARY_SIZE = 300
"""Items seeded by ``manage.py seed``: 6 categories of 50."""
LIBRARY_PAGE = 50


@pytest.fixture(scope="module")
def api(postgres) -> Iterator[str]:
    with running_example_api(postgres, API_KEY) as base_url:
        yield base_url


def call(
    method: str, url: str, body: dict | None = None, *, access: str | None = None, key: str | None = API_KEY
) -> requests.Response:
    headers = {}
    if key is not None:
        headers["X-API-Token"] = key
    if access is not None:
        headers["Authorization"] = f"Bearer {access}"
    return requests.request(method, url, json=body, headers=headers, timeout=TIMEOUT)


def sign_up(api: str) -> tuple[str, dict]:
    """A fresh account: (email, the 201 body)."""
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    response = call("POST", api + "/api/accounts/sign-up/", {"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return email, response.json()


@pytest.fixture
def access(api: str) -> str:
    return sign_up(api)[1]["access"]


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# --- the API key -----------------------------------------------------------------------------------------


def test_no_key_or_a_wrong_key_is_403(api: str, access: str) -> None:
    missing = call("GET", api + "/api/help-center/help-articles/", key=None)
    assert missing.status_code == 403
    assert "missing" in missing.json()["detail"].lower()
    wrong = call("GET", api + "/api/help-center/help-articles/", key="not-the-key")
    assert wrong.status_code == 403
    assert "invalid" in wrong.json()["detail"].lower()
    # A valid bearer token does not stand in for the key, and an unauthenticated request is still 403.
    assert call("GET", api + "/api/dashboard/", access=access, key="not-the-key").status_code == 403
    assert call("GET", api + "/api/dashboard/", key=None).status_code == 403
    body = {"email": "nobody@example.com", "username": "nobody@example.com", "password": PASSWORD}
    assert call("POST", api + "/api/accounts/sign-up/", body, key=None).status_code == 403
    assert call("POST", api + "/api/accounts/sign-in/", body, key=None).status_code == 403


# --- accounts -------------------------------------------------------------------------------------------


def test_sign_up_returns_tokens_then_409_for_the_same_email(api: str) -> None:
    email, body = sign_up(api)
    assert body["email"] == body["username"] == email
    access, refresh = claims(body["access"]), claims(body["refresh"])
    assert {"token_type", "exp", "iat", "jti", "user_id"} <= access.keys()
    assert (access["token_type"], refresh["token_type"]) == ("access", "refresh")
    assert str(access["user_id"]) == str(body["id"])
    assert 295 <= access["exp"] - access["iat"] <= 305
    again = call("POST", api + "/api/accounts/sign-up/", {"email": email, "password": PASSWORD})
    assert again.status_code == 409
    assert "detail" in again.json()


def test_sign_up_validates_email_and_password(api: str) -> None:
    bad_email = call("POST", api + "/api/accounts/sign-up/", {"email": "not-an-email", "password": PASSWORD})
    assert bad_email.status_code == 400
    assert list(bad_email.json()) == ["email"]
    short = call("POST", api + "/api/accounts/sign-up/", {"email": "short@example.com", "password": "a1b2"})
    assert short.status_code == 400
    assert list(short.json()) == ["password"]


def test_sign_in_returns_a_working_token_pair_and_the_user(api: str) -> None:
    email, _ = sign_up(api)
    response = call("POST", api + "/api/accounts/sign-in/", {"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == email
    assert claims(body["refresh"])["token_type"] == "refresh"
    assert call("GET", api + "/api/dashboard/", access=body["access"]).status_code == 200


def test_sign_in_with_email_instead_of_username_is_400_naming_username(api: str) -> None:
    email, _ = sign_up(api)
    response = call("POST", api + "/api/accounts/sign-in/", {"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == {"username": ["This field is required."]}


def test_sign_in_with_a_wrong_password_is_simplejwts_401(api: str) -> None:
    email, _ = sign_up(api)
    response = call("POST", api + "/api/accounts/sign-in/", {"username": email, "password": PASSWORD + "x"})
    assert response.status_code == 401
    assert response.json() == {"detail": "No active account found with the given credentials"}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_refresh_rotates_and_blacklists_the_old_token(api: str) -> None:
    _, body = sign_up(api)
    old = body["refresh"]
    first = call("POST", api + "/api/accounts/token/refresh/", {"refresh": old})
    assert first.status_code == 200, first.text
    new = first.json()["refresh"]
    assert new != old
    assert call("GET", api + "/api/dashboard/", access=first.json()["access"]).status_code == 200
    reused = call("POST", api + "/api/accounts/token/refresh/", {"refresh": old})
    assert reused.status_code == 401
    assert "blacklisted" in reused.text.lower()
    assert call("POST", api + "/api/accounts/token/refresh/", {"refresh": new}).status_code == 200


# --- bearer tokens ---------------------------------------------------------------------------------------


def test_a_missing_or_malformed_bearer_token_is_401(api: str) -> None:
    missing = call("GET", api + "/api/dashboard/")
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    malformed = call("GET", api + "/api/dashboard/", access="not.a.jwt")
    assert malformed.status_code == 401
    assert malformed.json()["code"] == "token_not_valid"
    assert malformed.json()["detail"] == "Given token not valid for any token type"


def test_an_expired_access_token_is_401_token_not_valid(postgres) -> None:
    # Deterministic: with a lifetime of 0 a token's exp is its issue second (rounded down), which is
    # never later than the moment it is checked, and SimpleJWT rejects exp <= now.
    with running_example_api(postgres, API_KEY, access_lifetime=0) as expiring_api:
        _, body = sign_up(expiring_api)
        response = call("GET", expiring_api + "/api/dashboard/", access=body["access"])
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert [m["message"] for m in response.json()["messages"]] == ["Token is expired"]


# --- endpoints --------------------------------------------------------------------------------------------


def test_the_read_endpoints_answer_json_objects(api: str, access: str) -> None:
    dashboard = call("GET", api + "/api/dashboard/", access=access).json()
    assert dashboard["counts"]["library_items"] == LIBRARY_SIZE
    tools = call("GET", api + "/api/ai-assistant/tools-and-template/", access=access)
    assert tools.status_code == 200
    assert tools.json()["tools"] and tools.json()["templates"]
    box = call("GET", api + "/api/ai-assistant/random-mystery-box/", access=access)
    assert box.status_code == 200
    assert isinstance(box.json(), dict)
    assert box.json()["question"]


def test_chat_thread_answers_200_with_a_thread_id(api: str, access: str) -> None:
    url = api + "/api/ai-assistant/chat/thread/"
    response = call("POST", url, {"message": "What is a prime number?", "role": 1}, access=access)
    assert response.status_code == 200, response.text
    thread_id = response.json()["thread_id"]
    assert UUID_RE.match(thread_id)
    follow_up = call("POST", url, {"message": "And 7?", "role": 1, "thread_id": thread_id}, access=access)
    assert follow_up.json()["thread_id"] == thread_id
    bad_role = call("POST", url, {"message": "Hi", "role": 3}, access=access)
    assert bad_role.status_code == 400
    assert list(bad_role.json()) == ["role"]


def test_create_collection_validates_and_lists(api: str, access: str) -> None:
    url = api + "/api/ai-assistant/create-collection/"
    good = {"title": "Algebra", "description": "", "privacy": 2, "color_code": "#1a2B3c"}
    created = call("POST", url, good, access=access)
    assert created.status_code == 201, created.text
    assert UUID_RE.match(created.json()["id"])
    mine = call("GET", api + "/api/ai-assistant/my-collection/", access=access).json()
    assert [c["id"] for c in mine["results"]] == [created.json()["id"]]
    assert mine["count"] == 1
    no_title = call("POST", url, {k: v for k, v in good.items() if k != "title"}, access=access)
    assert no_title.status_code == 400
    assert list(no_title.json()) == ["title"]
    bad = call("POST", url, {**good, "privacy": 3, "color_code": "#12345G"}, access=access)
    assert bad.status_code == 400
    assert sorted(bad.json()) == ["color_code", "privacy"]


def test_contact_us_requires_every_field(api: str, access: str) -> None:
    url = api + "/api/help-center/contact-us/"
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone_number": "+44 20 7946 0000",
        "message": "Hello",
    }
    created = call("POST", url, body, access=access)
    assert created.status_code == 201, created.text
    assert created.json()["phone_number"] == body["phone_number"]
    nameless = call("POST", url, {**body, "first_name": None, "last_name": ""}, access=access)
    assert nameless.status_code == 400
    assert sorted(nameless.json()) == ["first_name", "last_name"]


def test_search_with_an_empty_q_matches_everything_paginated(api: str, access: str) -> None:
    empty = call("GET", api + "/api/dashboard/v2/search/?q=&page=1", access=access)
    assert empty.status_code == 200
    page = empty.json()
    assert (page["count"], len(page["results"]), page["previous"]) == (LIBRARY_SIZE, 10, None)
    assert "page=2" in page["next"]
    absent = call("GET", api + "/api/dashboard/v2/search/", access=access).json()
    assert absent["count"] == LIBRARY_SIZE
    narrow = call("GET", api + "/api/dashboard/v2/search/?q=calculus", access=access).json()
    assert [item["title"] for item in narrow["results"]] == [
        "Calculus: an introduction",
        "Calculus: worked examples",
        "Calculus: practice questions",
        "Calculus: a revision guide",
        "Calculus: a class project",
    ]


def test_library_pages_filters_and_rejects_a_page_beyond_the_end(api: str, access: str) -> None:
    last_page = LIBRARY_SIZE // LIBRARY_PAGE
    last = call("GET", api + f"/api/ai-assistant/library/?page={last_page}", access=access).json()
    assert (len(last["results"]), last["next"]) == (LIBRARY_PAGE, None)
    science = call("GET", api + "/api/ai-assistant/library/?category=Science", access=access).json()
    assert (science["count"], len(science["results"])) == (50, LIBRARY_PAGE)
    assert {item["category"] for item in science["results"]} == {"science"}
    beyond = call("GET", api + f"/api/ai-assistant/library/?page={last_page + 1}", access=access)
    assert beyond.status_code == 404
    assert beyond.json() == {"detail": "Invalid page."}


def test_help_articles_need_the_key_but_no_bearer_token(api: str) -> None:
    response = call("GET", api + "/api/help-center/help-articles/")
    assert response.status_code == 200
    articles = response.json()
    assert len(articles) == 8
    assert all(article["title"] and article["body"] for article in articles)
    assert 4000 <= len(response.content) <= 5500


def test_a_wrong_method_is_drfs_405(api: str) -> None:
    response = call("GET", api + "/api/accounts/sign-up/")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.'}


def test_concurrent_writes_never_hit_a_locked_database(api: str) -> None:
    """Parallel sign-ups and writes across gunicorn's processes and threads all succeed (no 500s)."""

    def one_user(_: int) -> list[int]:
        email = f"c-{uuid.uuid4().hex[:12]}@example.com"
        up = call("POST", api + "/api/accounts/sign-up/", {"email": email, "password": PASSWORD})
        tokens = up.json()
        collection = {"title": "T", "privacy": 1, "color_code": "#000000"}
        made = call("POST", api + "/api/ai-assistant/create-collection/", collection, access=tokens["access"])
        refreshed = call("POST", api + "/api/accounts/token/refresh/", {"refresh": tokens["refresh"]})
        return [up.status_code, made.status_code, refreshed.status_code]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one_user, range(24)))
    assert statuses == [[201, 201, 200]] * 24


NAGLE_STALL_S = 0.040
"""Linux's shortest delayed ACK: with Nagle on, no request on a warm kept-alive connection is faster."""


def test_a_kept_alive_connection_gets_no_40_ms_nagle_stalls(api: str) -> None:
    """The launcher turns Nagle off; with it on, every request on a kept-alive connection, once the
    client's quick-ACK start is over, waits at least ~40 ms for the client's delayed ACK before the
    body leaves. A busy machine only adds time, so the fastest requests decide: with Nagle on, not
    one of 20 is under 40 ms; with it off, a quarter of them taking that long would take a machine
    too loaded to run anything."""
    with requests.Session() as session:
        session.headers["X-API-Token"] = API_KEY
        url = api + "/api/ai-assistant/tools-and-template/"
        for _ in range(20):  # past the quick ACKs a new connection starts with, untimed
            assert session.get(url, timeout=TIMEOUT).status_code == 401
        durations = []
        for _ in range(20):
            started = time.perf_counter()
            assert session.get(url, timeout=TIMEOUT).status_code == 401
            durations.append(time.perf_counter() - started)
    assert sorted(durations)[4] < NAGLE_STALL_S, durations


# --- the example's commands and its server ---------------------------------------------------------------


def example_command(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    return run_command(sys.executable, *args, cwd=EXAMPLE, env=env, timeout=120)


def test_seed_without_the_api_key_stops_with_one_message(postgres) -> None:
    env = {**postgres.environ("postgres"), "LOADTEST_API_KEY": None}
    done = example_command("manage.py", "seed", env=env)
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == "CommandError: LOADTEST_API_KEY is not set: it is the key the load test will send."
    )


def test_each_side_of_the_load_test_gets_a_database_of_its_own(postgres) -> None:
    # The worker's server is shared: a run earlier in the session (the runner's own --setup) may have
    # left the sides' databases; this test makes them itself.
    for side in ("head", "base"):
        postgres.drop_database(f"amal_api_{side}")
    before = postgres.databases()
    server = {**postgres.environ("unused"), "PGDATABASE": None}
    try:
        for side in ("head", "base"):
            made = example_command("manage.py", "create_database", env={**server, "LOADTEST_SIDE": side})
            assert made.stdout.strip() == f"database amal_api_{side} created", made.stderr
        again = example_command("manage.py", "create_database", env={**server, "LOADTEST_SIDE": None})
        assert again.stdout.strip() == "database amal_api_head exists", "head is the default side"
        assert postgres.databases() - before == {"amal_api_head", "amal_api_base"}
        odd = example_command("manage.py", "create_database", env={**server, "LOADTEST_SIDE": "x;y"})
        assert odd.returncode != 0
        assert "LOADTEST_SIDE must be a short lower-case name (head, base)" in odd.stderr
    finally:
        postgres.drop_database("amal_api_head")
        postgres.drop_database("amal_api_base")


def test_gunicorn_stops_on_sigterm_with_its_workers_and_logs_no_request_and_no_key(postgres) -> None:
    database = seeded_database(postgres, API_KEY)
    env = child_environ(postgres.environ(database))
    try:
        with tempfile.TemporaryFile() as log:
            master = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0"], cwd=EXAMPLE, env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            try:
                base_url = wait_for_gunicorn(master, log)
                workers = booted_workers(master, expected=2)  # gunicorn.conf.py: two workers
                assert call("GET", base_url + "/api/help-center/help-articles/").status_code == 200
                assert call("GET", base_url + "/api/dashboard/").status_code == 401
                master.send_signal(signal.SIGTERM)
                assert master.wait(timeout=30) == 0
            finally:
                stop_group(master)
            gone, alive = psutil.wait_procs(workers, timeout=10)
            assert alive == [], "a worker outlived its master"
            log.seek(0)
            output = log.read().decode(errors="replace")
    finally:
        postgres.drop_database(database)
    assert "/api/" not in output, "no access log"
    assert API_KEY not in output


def wait_for_gunicorn(master: subprocess.Popen, log) -> str:
    deadline = time.monotonic() + 60
    while master.poll() is None and time.monotonic() < deadline:
        log.seek(0)
        if match := LISTENING.search(log.read().decode(errors="replace")):
            return match.group(1)
        time.sleep(0.05)
    log.seek(0)
    raise AssertionError(f"gunicorn did not start: {log.read().decode(errors='replace')[-3000:]}")


def booted_workers(master: subprocess.Popen, expected: int) -> list[psutil.Process]:
    """The master's workers once ``expected`` have forked (they do after the listening line)."""
    deadline = time.monotonic() + 60
    while len(workers := psutil.Process(master.pid).children(recursive=True)) < expected:
        assert time.monotonic() < deadline, f"{len(workers)} of {expected} workers started"
        time.sleep(0.05)
    return workers
