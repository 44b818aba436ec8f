"""The two sides of the contract agree: what the load test sends, the stand-in accepts, and back.

The load test's side is ``ApiSession`` (every task is one call of it), driven here through a
small client that speaks Locust's ``catch_response`` protocol over real HTTP. The stand-in's side
is its views. A field changed on one side only (a view that reads another name, answers another
key, a session that sends another body) makes these tests fail; a field changed in the contract
changes both sides at once, and tests/integration/test_against_django_api.py holds the contract
to the real framework.
"""

from __future__ import annotations

import random
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import requests

from loadtest import contract
from loadtest.user.data import DataPools, IdentityFactory
from loadtest.user.session import ApiSession, Tokens, UserData
from tests.integration.conftest import API_KEY

pytestmark = pytest.mark.slow

SEEDS = range(12)
"""Each seed draws other fake data (search terms, categories, privacy, colours, names)."""


@dataclass
class Outcome:
    status_code: int
    content: bytes
    failure_message: str | None = None
    succeeded: bool = False

    def success(self) -> None:
        self.succeeded = True

    def failure(self, message: str) -> None:
        self.failure_message = message


@dataclass
class HttpClient:
    """Locust's client protocol (``request(..., catch_response=True)``) over requests, recording outcomes."""

    base_url: str
    outcomes: list[tuple[str, Outcome, dict | None]] = field(default_factory=list)

    @contextmanager
    def request(self, method, url, *, name, headers, json, catch_response):  # noqa: ANN001
        answer = requests.request(method, self.base_url + url, headers=headers, json=json, timeout=10)
        outcome = Outcome(answer.status_code, answer.content)
        yield outcome
        self.outcomes.append((name, outcome, json))


def session_for(base_url: str, seed: int) -> tuple[ApiSession, HttpClient]:
    pools = DataPools.build(seed, size=16)
    # A tag of its own: the session sandbox keeps every account of the test session.
    identity = IdentityFactory(pools, random.Random(seed), process_tag=f"agree-{uuid.uuid4().hex[:8]}").new()
    client = HttpClient(base_url)
    session = ApiSession(
        client, UserData(pools, random.Random(seed), identity, Tokens()), api_key=API_KEY, can_sign_in=True
    )
    session.sign_up(identity, keep_tokens=True)
    return session, client


@pytest.mark.parametrize("seed", SEEDS)
def test_every_request_the_load_test_builds_is_accepted_and_every_answer_passes_its_check(sandbox_url, seed):
    session, client = session_for(sandbox_url, seed)
    session.sign_in()
    for endpoint in contract.API:
        if endpoint is contract.SIGN_UP:
            session.sign_up(
                IdentityFactory(
                    session.data.pools, random.Random(seed), process_tag=uuid.uuid4().hex[:8]
                ).new(),
                keep_tokens=False,
            )
        elif endpoint is contract.TOKEN_REFRESH:
            assert session.refresh()
        else:
            session.send(endpoint)
    seen = {name for name, _, _ in client.outcomes}
    assert seen == {e.name for e in contract.API}
    refused = [
        (name, o.status_code, o.content[:200], body) for name, o, body in client.outcomes if not o.succeeded
    ]
    assert refused == []


@pytest.mark.parametrize("endpoint", [e for e in contract.API if e.body], ids=lambda e: e.name)
def test_the_stand_in_refuses_a_body_without_a_required_field(sandbox_url, endpoint):
    session, _ = session_for(sandbox_url, 1)
    body = endpoint.build_body(session.data)
    headers = {contract.API_KEY_HEADER: API_KEY, "Authorization": f"Bearer {session.tokens.access}"}
    for f in (f for f in endpoint.body if f.required):
        without = {k: v for k, v in body.items() if k != f.name}
        answer = requests.request(
            endpoint.method, sandbox_url + endpoint.path, json=without, headers=headers, timeout=10
        )
        assert answer.status_code == 400 and answer.json().get(f.name) == ["This field is required."], (
            f.name,
            answer.text,
        )


def test_the_rotated_refresh_token_is_kept_and_the_old_one_is_refused(sandbox_url):
    session, client = session_for(sandbox_url, 2)
    first = session.tokens.refresh
    assert session.refresh() and session.refresh()
    assert session.tokens.refresh not in ("", first)
    session.data.tokens = Tokens(access=session.tokens.access, refresh=first)
    assert not session.refresh()
    name, outcome, _ = client.outcomes[-1]
    assert name == contract.TOKEN_REFRESH.name and outcome.status_code == 401
    assert b"Token is blacklisted" in outcome.content
    assert session.tokens.refresh == "", "a refused refresh token is never sent again"
