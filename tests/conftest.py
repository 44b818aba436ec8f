"""Fixtures shared by every tier: a running sandbox, a way to start more, and fresh signed-in users."""

import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

# `pytest` as well as `python -m pytest`: the loadtest package sits at the repository root.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from loadtest import config  # noqa: E402
from loadtest.sandbox import running_sandbox  # noqa: E402

SANDBOX_SEED = 1234
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """Base URL of one sandbox for the whole session: default settings, admin endpoints on."""
    with running_sandbox(admin=True, seed=SANDBOX_SEED) as url:
        yield url


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., str]]:
    """Starts sandboxes with custom options (those of running_sandbox); all stop at the end of the test."""
    with ExitStack() as stack:
        yield lambda **options: stack.enter_context(running_sandbox(**options))


def new_user_tokens(base_url: str) -> tuple[str, str]:
    """Sign up a fresh user and sign in: (access, refresh)."""
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "password": PASSWORD, "first_name": "Test", "last_name": "User"}
    signed_up = requests.post(base_url + config.SIGN_UP.path, json=body, timeout=config.REQUEST_TIMEOUT_S)
    assert signed_up.status_code == 201, signed_up.text
    signed_in = requests.post(base_url + config.SIGN_IN.path, json=body, timeout=config.REQUEST_TIMEOUT_S)
    assert signed_in.status_code == 200, signed_in.text
    return signed_in.json()["access"], signed_in.json()["refresh"]


@pytest.fixture
def sign_in_new_user() -> Callable[[str], tuple[str, str]]:
    """A function: base URL -> (access, refresh) of a freshly signed-up user."""
    return new_user_tokens


@pytest.fixture
def signed_in(sandbox_url: str) -> tuple[str, str]:
    """(access, refresh) of a fresh user of the session sandbox."""
    return new_user_tokens(sandbox_url)
