"""A flood of sign-ups, threads, collections and contact messages stays within the sandbox's caps."""

import uuid

import pytest

from loadtest import contract
from loadtest.sandbox import Caps, get_stats
from tests.integration.conftest import api_request, call_endpoint

pytestmark = pytest.mark.slow

CAPS = Caps(users=5, threads_per_user=3, threads=6, collections_per_user=3, collections=6, contact_messages=4)


def bodies(n: int) -> dict[contract.Endpoint, dict]:
    """Valid bodies of the three endpoints that store something, numbered n."""
    return {
        contract.CHAT_THREAD: {"message": f"question {n}", "role": 1},
        contract.CREATE_COLLECTION: {"title": f"c{n}", "privacy": 1, "color_code": "#123456"},
        contract.CONTACT_US: {
            "first_name": "A",
            "last_name": "B",
            "email": "a@example.com",
            "phone_number": "0123",
            "message": f"hello {n}",
        },
    }


def test_state_stays_within_its_caps(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(admin=True, caps=CAPS)
    tokens = [sign_in_new_user(base_url)[0] for _ in range(12)]
    assert get_stats(base_url)["users"] == CAPS.users
    survivors = tokens[-CAPS.users :]
    for access in survivors:
        for n in range(5):
            for endpoint, body in bodies(n).items():
                response = call_endpoint(base_url, endpoint, access=access, json=body)
                assert response.status_code == endpoint.status, response.text
    stats = get_stats(base_url)
    assert stats["users"] == CAPS.users
    assert stats["threads"] == CAPS.threads and stats["messages"] == 2 * CAPS.threads
    assert stats["collections"] == CAPS.collections
    assert stats["contact_messages"] == CAPS.contact_messages
    assert stats["caps"] == {**vars(Caps()), **vars(CAPS)}
    mine = call_endpoint(base_url, contract.MY_COLLECTIONS, access=survivors[-1]).json()
    assert [c["title"] for c in mine["results"]] == ["c4", "c3", "c2"]
    threads = call_endpoint(base_url, contract.DASHBOARD, access=survivors[-1]).json()["recent_threads"]
    assert [t["title"] for t in threads] == ["question 4", "question 3", "question 2"]
    # The first survivor's collections went to keep the cap of 6 in all: the newest survivors keep theirs.
    assert call_endpoint(base_url, contract.MY_COLLECTIONS, access=survivors[0]).json()["count"] == 0


def test_an_evicted_users_token_is_refused(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(caps=Caps(users=2))
    first_access, first_refresh = sign_in_new_user(base_url)
    for _ in range(2):
        sign_in_new_user(base_url)
    response = call_endpoint(base_url, contract.DASHBOARD, access=first_access)
    assert response.status_code == 401
    assert response.json() == {"detail": "User not found", "code": "user_not_found"}
    refreshed = call_endpoint(base_url, contract.TOKEN_REFRESH, json={"refresh": first_refresh})
    assert refreshed.status_code == 401
    assert refreshed.json() == {"detail": "User not found", "code": "user_not_found"}


def test_requests_served_counts_api_requests_refused_or_not_but_not_admin_ones(sandbox_factory):
    base_url = sandbox_factory(admin=True)
    for _ in range(3):
        assert call_endpoint(base_url, contract.HELP_ARTICLES).status_code == 200
    missing_password = call_endpoint(base_url, contract.SIGN_UP, json={"email": f"{uuid.uuid4().hex}@x.io"})
    assert missing_password.status_code == 400
    assert call_endpoint(base_url, contract.HELP_ARTICLES, key=None).status_code == 403
    assert api_request("GET", base_url + "/api/nothing/").status_code == 404
    get_stats(base_url)
    assert get_stats(base_url)["requests_served"] == 6
