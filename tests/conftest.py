"""Shared by every tier: the repository root, the one way to run a command, a running sandbox, a way to
start more, and fresh signed-in users."""

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest
import requests

from loadtest import config, contract
from loadtest.sandbox import running_sandbox

ROOT = Path(__file__).resolve().parent.parent
"""The repository root: scripts/, the workflows, the README."""


def child_environ(changes: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment of a command a test starts: this one without GITHUB_* and ACT (a command must not
    believe it runs in a workflow unless the test says so), with ``changes`` on top; None removes a name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "ACT"}
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_command(
    *command: str | Path,
    env: Mapping[str, str | None] | None = None,
    inherit_env: bool = True,
    timeout: float = 180,
    cwd: Path = ROOT,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd`` (the repository root), capturing its text output; any exit code returns.

    Its environment is ``child_environ(env)``; with ``inherit_env=False``, ``env`` alone. ``timeout``
    only guards against a hang: no test depends on how long a command takes.
    """
    environ = child_environ(env) if inherit_env else {k: v for k, v in (env or {}).items() if v is not None}
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environ,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_script(script: str, *args: str | Path, **options) -> subprocess.CompletedProcess[str]:
    """``python scripts/SCRIPT ARGS`` as the workflows run it; ``options`` are those of ``run_command``."""
    return run_command(sys.executable, f"scripts/{script}", *args, **options)


SANDBOX_SEED = 1234
PASSWORD = "correct-horse-battery"
API_KEY = "test-api-key-0b9e"
"""The stand-in's API key in tests; Locust runs get it as LOADTEST_API_KEY."""
KEY = {contract.API_KEY_HEADER: API_KEY}
"""The header every request to a test sandbox carries."""


def api_request(
    method: str,
    url: str,
    *,
    access: str | None = None,
    key: str | None = API_KEY,
    session: requests.Session | None = None,
    **kwargs,
) -> requests.Response:
    """A request carrying the API key (``key=None``: none) and, given ``access``, a bearer token.

    ``headers`` in kwargs are added last, so a test can override either header.
    """
    headers = {} if key is None else {contract.API_KEY_HEADER: key}
    if access is not None:
        headers["Authorization"] = f"Bearer {access}"
    headers.update(kwargs.pop("headers", None) or {})
    kwargs.setdefault("timeout", config.REQUEST_TIMEOUT_S)
    return (session or requests).request(method, url, headers=headers, **kwargs)


def call_endpoint(
    base_url: str, endpoint: contract.Endpoint, *, access: str | None = None, **kwargs
) -> requests.Response:
    """``api_request`` to one endpoint of the contract, with its method and path."""
    return api_request(endpoint.method, base_url + endpoint.path, access=access, **kwargs)


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """Base URL of one sandbox for the whole session: default settings, admin endpoints on."""
    with running_sandbox(api_key=API_KEY, admin=True, seed=SANDBOX_SEED) as url:
        yield url


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., str]]:
    """Starts sandboxes with custom options (those of running_sandbox); all stop at the end of the test."""
    with ExitStack() as stack:
        yield lambda **options: stack.enter_context(running_sandbox(**{"api_key": API_KEY, **options}))


def new_user_tokens(base_url: str) -> tuple[str, str]:
    """Sign up a fresh user and sign in: (access, refresh)."""
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    timeout = config.REQUEST_TIMEOUT_S
    body = {"email": email, "password": PASSWORD}
    signed_up = requests.post(base_url + contract.SIGN_UP.path, json=body, headers=KEY, timeout=timeout)
    assert signed_up.status_code == 201, signed_up.text
    credentials = {"username": email, "password": PASSWORD}
    signed_in = requests.post(
        base_url + contract.SIGN_IN.path, json=credentials, headers=KEY, timeout=timeout
    )
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
