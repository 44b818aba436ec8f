"""The stand-in Amal Education API: the default target of the load test, with fault injection.

Run it with ``loadtest sandbox --api-key KEY [--port 0] [--admin] [--profile realistic]
[--fault SPEC ...]`` (see ``--help``), or from Python::

    with running_sandbox(api_key=KEY, faults=[{"match": "GET /api/dashboard/", "latency_ms": 50}],
                         admin=True) as url:
        ...  # url == "http://127.0.0.1:PORT"; every request needs the header X-API-Token: KEY
        set_faults(url, [])  # change faults between two load runs without a restart

It serves every endpoint of the API contract (``loadtest.contract``), validating requests and
answering by it, with Django REST Framework's and SimpleJWT's bodies, over gevent's pywsgi in a
child process (it never competes with Locust for the GIL).

State lives in memory and is capped (``Caps``; oldest first out, users least recently active
first): 10,000 users; 100 chat threads and 100 collections per user, 20,000 threads and
20,000 collections in all; 50 messages per thread; 10,000 contact messages. Text fields are
length-limited and bodies are at most 1 MiB, so a 30-minute soak cannot grow memory without limit.

Speed: raw WSGI with a dict router, not Flask, on ``NoDelayWSGIServer`` (pywsgi with Nagle's
algorithm off): the stand-in must never be what a load test measures. The figures, and the
command that measures them, are in docs/performance.md.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import requests

from loadtest import config
from loadtest.sandbox.faults import FaultRule, FaultSpecError, parse_rules
from loadtest.sandbox.process import SandboxError, ServerProcess, start_server
from loadtest.sandbox.server import ServeLimits
from loadtest.sandbox.state import Caps

__all__ = [
    "Caps",
    "FaultRule",
    "FaultSpecError",
    "SandboxError",
    "ServeLimits",
    "get_faults",
    "get_stats",
    "running_sandbox",
    "sandbox_args",
    "set_faults",
    "start_sandbox",
]


def sandbox_args(
    *,
    profile: str | None = None,
    profile_scale: float = 1.0,
    access_lifetime: float = 300.0,
    refresh_lifetime: float = 86_400.0,
    admin: bool = False,
    seed: int | None = None,
    bind: str = "127.0.0.1",
    caps: Caps | None = None,
    limits: ServeLimits | None = None,
) -> list[str]:
    """Command-line options of ``loadtest sandbox`` for these settings (port 0, no faults).

    Caps and limits are spelled out only when given: the defaults live in one place each,
    ``Caps`` and ``ServeLimits``.
    """
    args = ["--bind", bind, "--port", "0"]
    args += [
        "--access-lifetime",
        repr(float(access_lifetime)),
        "--refresh-lifetime",
        repr(float(refresh_lifetime)),
    ]
    if admin:
        args.append("--admin")
    if profile:
        args += ["--profile", profile, "--profile-scale", repr(float(profile_scale))]
    if seed is not None:
        args += ["--seed", str(seed)]
    for name, value in asdict(caps).items() if caps else ():
        args += ["--max-" + name.replace("_", "-"), str(value)]
    if limits is not None:
        args += [
            "--request-timeout",
            repr(limits.request_timeout_s),
            "--idle-timeout",
            repr(limits.idle_timeout_s),
        ]
        args += ["--max-connections", str(limits.max_connections)] if limits.max_connections else []
    return args


def start_sandbox(args: Sequence[str], **options: Any) -> ServerProcess:
    """``python -m loadtest sandbox ARGS`` as a child process; ``options`` are start_server's."""
    return start_server("loadtest", ["sandbox", *args], **options)


@contextmanager
def running_sandbox(
    *,
    api_key: str,
    faults: list[dict] | None = None,
    profile: str | None = None,
    profile_scale: float = 1.0,
    access_lifetime: float = 300.0,
    refresh_lifetime: float = 86_400.0,
    admin: bool = False,
    seed: int | None = None,
    bind: str = "127.0.0.1",
    caps: Caps | None = None,
    limits: ServeLimits | None = None,
    startup_timeout_s: float = 20.0,
    new_session: bool = False,
) -> Iterator[str]:
    """Start the sandbox as a child process on a free port; yield its base URL; stop it on exit.

    ``new_session``: in a session of its own (see loadtest.sandbox.process.start_server).

    The API key reaches the child through its environment, never its command line (``ps`` shows that).
    Raises FaultSpecError for malformed ``faults`` and SandboxError if the child does not start.
    """
    args = sandbox_args(
        profile=profile,
        profile_scale=profile_scale,
        access_lifetime=access_lifetime,
        refresh_lifetime=refresh_lifetime,
        admin=admin,
        seed=seed,
        bind=bind,
        caps=caps,
        limits=limits,
    )
    faults_path = None
    if faults:
        rules = [rule.to_dict() for rule in parse_rules(faults)]  # a clear error here, not in the child
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(rules, handle)
        faults_path = handle.name
        args += ["--faults-file", faults_path]
    try:
        server = start_sandbox(
            args,
            timeout_s=startup_timeout_s,
            env={"LOADTEST_API_KEY": api_key},
            new_session=new_session,
        )
    finally:
        if faults_path:
            os.unlink(faults_path)
    try:
        yield server.url
    finally:
        server.stop()
        if server.logged.strip():
            print(server.logged.rstrip(), file=sys.stderr)


def _admin_url(base_url: str, what: str) -> str:
    if not config.is_loopback(base_url):
        raise ValueError(f"{config.redact_url(base_url)} is not a loopback sandbox")
    return f"{base_url.rstrip('/')}/__sandbox/{what}"


def _checked(response: requests.Response) -> dict:
    if response.status_code == 404:
        raise SandboxError(f"{response.url}: 404; was the sandbox started with --admin?")
    if response.status_code != 200:
        raise SandboxError(f"{response.url}: {response.status_code} {response.text}")
    return response.json()


def set_faults(base_url: str, rules: list[dict]) -> list[dict]:
    """Replace the fault rules of a sandbox started with ``admin=True``; returns them in canonical form."""
    url = _admin_url(base_url, "faults")
    return _checked(requests.put(url, json={"rules": rules}, timeout=config.REQUEST_TIMEOUT_S))["rules"]


def get_faults(base_url: str) -> list[dict]:
    url = _admin_url(base_url, "faults")
    return _checked(requests.get(url, timeout=config.REQUEST_TIMEOUT_S))["rules"]


def get_stats(base_url: str) -> dict:
    """In-memory counts (users, threads, collections, messages, contact_messages, requests_served, caps)."""
    url = _admin_url(base_url, "stats")
    return _checked(requests.get(url, timeout=config.REQUEST_TIMEOUT_S))
