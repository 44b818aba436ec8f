"""Integration tier: the stand-in API, Locust, the commands and the fake GitHub, as processes and servers
on loopback. Here: a running sandbox, a way to start more, fresh signed-in users, a Locust run, the fake
GitHub and a client for it."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from loadtest import bundle, config, contract
from loadtest.sandbox import running_sandbox
from tests.conftest import run_command
from tests.fakes.github_client import TOKEN, client_for
from tests.fakes.github_server import FakeGitHub

SANDBOX_SEED = 1234
PASSWORD = "correct-horse-battery"
API_KEY = "test-api-key-0b9e"
"""The stand-in's API key in tests; Locust runs get it as LOADTEST_API_KEY."""
KEY = {contract.API_KEY_HEADER: API_KEY}
"""The header every request to a test sandbox carries."""
SPAWNED = ("All users spawned", "Spawning is complete")
"""What Locust logs once it has started every user. A master waits 1 s for its workers' reports and, on a
busy machine, may say the second instead (locust.runners): the users are started either way."""
LOG_WAIT_S = 90
"""The longest a wait for locust.log may take: far more than it needs, so only a hang reaches it."""


def wait_for_log(out: Path, texts: tuple[str, ...], proc: subprocess.Popen) -> None:
    """Until the bundle's locust.log (the runner writes it line by line) says one of ``texts``; fails at
    once if the runner ends first, with the log's end."""
    log = out / bundle.LOCUST_LOG
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        ended = proc.poll() is not None  # read before the log: its last lines are in when it has ended
        said = log.read_text(encoding="utf-8", errors="replace") if log.is_file() else ""
        if any(text in said for text in texts):
            return
        assert not ended and time.monotonic() < deadline, f"locust.log never said {texts}: {said[-3000:]}"
        time.sleep(0.1)


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


FAST_WAITS = ["--wait-min", "0.05", "--wait-max", "0.2"]
"""Short waits so that a 10-15 s run reaches every endpoint."""


@dataclass
class LocustRun:
    returncode: int
    output: str
    prefix: Path

    def stats(self) -> dict[str, dict[str, str]]:
        """Rows of the stats CSV keyed by name (``Aggregated`` included)."""
        with open(f"{self.prefix}_stats.csv", newline="", encoding="utf-8") as fh:
            return {row["Name"]: row for row in csv.DictReader(fh)}

    def requests(self, name: str) -> int:
        return int(self.stats().get(name, {}).get("Request Count", 0))

    def failures_text(self) -> str:
        return Path(f"{self.prefix}_failures.csv").read_text(encoding="utf-8")

    def failures(self, name: str = "Aggregated") -> int:
        return int(self.stats()[name]["Failure Count"])


def locust_runner(folder: Path) -> Callable[..., LocustRun]:
    """A function that runs ``locust -f locustfile.py`` headless against HOST; returns a LocustRun. Its
    files are ``locust*`` in ``folder``, or in its subfolder ``name``: runs side by side each need one."""

    def run(
        host: str,
        *args: str,
        users: int = 10,
        run_time: str = "12s",
        env: dict | None = None,
        name: str = "",
    ) -> LocustRun:
        (folder / name).mkdir(exist_ok=True)
        prefix = folder / name / "locust"
        cmd = [sys.executable, "-m", "locust", "-f", "locustfile.py", "--headless", "--host", host]
        cmd += ["-u", str(users), "-r", str(users), "-t", run_time, "--csv", str(prefix)]
        cmd += ["--json-file", str(prefix), "--only-summary", *FAST_WAITS, *args]
        proc = run_command(*cmd, env={"LOADTEST_API_KEY": API_KEY, **(env or {})}, timeout=120)
        return LocustRun(proc.returncode, proc.stdout + proc.stderr, prefix)

    return run


@pytest.fixture
def run_locust(tmp_path):
    """``locust_runner`` writing into the test's tmp_path."""
    return locust_runner(tmp_path)


@pytest.fixture
def github():
    """The fake GitHub REST server on loopback, with pull request 7 open."""
    with FakeGitHub(token=TOKEN) as server:
        server.add_pull(7, head_sha="a" * 40)
        yield server


@pytest.fixture
def sleeps():
    """Where a client made by ``client`` records its waits instead of sleeping."""
    return []


@pytest.fixture
def client(github, sleeps):
    """A GitHub client for the fake server, with small timeouts and recorded waits."""
    with client_for(github, sleeps=sleeps) as c:
        yield c
