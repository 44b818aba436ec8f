"""A flood of sign-ups, threads, collections and contact messages stays within the sandbox's caps."""

import uuid

import pytest
import requests

from loadtest import config
from loadtest.sandbox import Caps, get_stats

pytestmark = pytest.mark.slow

TIMEOUT = config.REQUEST_TIMEOUT_S
CAPS = Caps(users=5, threads_per_user=3, threads=6, collections_per_user=3, collections=6, contact_messages=4)


def test_state_stays_within_its_caps(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(admin=True, caps=CAPS)
    tokens = [sign_in_new_user(base_url)[0] for _ in range(12)]
    survivors = tokens[-CAPS.users :]
    for access in survivors:
        headers = {"Authorization": f"Bearer {access}"}
        for n in range(5):
            body = {"message": f"question {n}", "name": f"c{n}", "email": "a@example.com"}
            for endpoint in (config.CHAT_THREAD, config.CREATE_COLLECTION, config.CONTACT_US):
                response = requests.post(
                    base_url + endpoint.path, json=body, headers=headers, timeout=TIMEOUT
                )
                assert response.status_code == 201, response.text
    stats = get_stats(base_url)
    assert stats["users"] == CAPS.users
    assert stats["threads"] == CAPS.threads and stats["messages"] == 2 * CAPS.threads
    assert stats["collections"] == CAPS.collections
    assert stats["contact_messages"] == CAPS.contact_messages
    assert stats["caps"]["users"] == CAPS.users
    newest = {"Authorization": f"Bearer {survivors[-1]}"}
    mine = requests.get(base_url + config.MY_COLLECTIONS.path, headers=newest, timeout=TIMEOUT).json()
    assert [c["name"] for c in mine["results"]] == ["c4", "c3", "c2"]


def test_an_evicted_users_token_is_refused(sandbox_factory, sign_in_new_user):
    base_url = sandbox_factory(caps=Caps(users=2))
    first_access, _ = sign_in_new_user(base_url)
    for _ in range(2):
        sign_in_new_user(base_url)
    response = requests.get(
        base_url + config.DASHBOARD.path, headers={"Authorization": f"Bearer {first_access}"}, timeout=TIMEOUT
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "User not found", "code": "user_not_found"}


def test_requests_served_counts_api_requests(sandbox_factory):
    base_url = sandbox_factory(admin=True)
    for _ in range(3):
        requests.get(base_url + config.HELP_ARTICLES.path, timeout=TIMEOUT)
    requests.post(base_url + config.SIGN_UP.path, json={"email": f"{uuid.uuid4().hex}@x.io"}, timeout=TIMEOUT)
    assert get_stats(base_url)["requests_served"] == 4
