"""Fail fast, before any load: can the target be reached, and can a user sign in and read?

The runner calls ``check_target`` before it starts Locust; the locustfile uses
``explain_refusal`` when no simulated user could sign in, so both say the same words:
what the API answered and what to check, e.g.
``sign-in answered 403 {"detail": "..."}: LOADTEST_API_KEY is not set; the API requires its app key``.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass

import requests

from loadtest import config, contract
from loadtest.contract import Endpoint
from loadtest.settings import Settings
from loadtest.text import masking
from loadtest.user.data import DataPools, Identity, IdentityFactory
from loadtest.user.session import Tokens, UserData, answer_text

BUDGET_S = 8.0
"""All preflight requests together: the run fails within 10 seconds when the target is wrong."""
CONTRACT_FILE = "loadtest/contract/endpoints.py"


class PreflightFailed(Exception):
    """The target cannot be load tested as configured; one line says why and what to check."""


@dataclass(frozen=True)
class Checked:
    """What the preflight learnt: how it authenticated."""

    how: str
    """``signed in``, ``signed up`` or ``token``."""


def check_target(host: str, settings: Settings, *, api_key: str, budget_s: float = BUDGET_S) -> Checked:
    """Sign in once (or take LOADTEST_TOKEN, or sign up on loopback), then one authenticated GET."""
    deadline = time.monotonic() + budget_s
    probe = _Probe(host, api_key, settings, deadline)
    data = _data(settings)
    if settings.token_only:
        access, how = settings.token, "token"
    elif settings.can_sign_in:
        access, how = probe.tokens(contract.SIGN_IN, "sign-in", data), "signed in"
    else:
        access, how = probe.tokens(contract.SIGN_UP, "sign-up", data), "signed up"
    probe.read(contract.DASHBOARD, access, token_given=how == "token")
    return Checked(how)


def explain_refusal(step: str, status: int | None, answer: str, settings: Settings) -> str:
    """``<step> answered <status> <answer>: <what to check>``, one line, secrets masked."""
    said = f"{status} {answer}".rstrip() if status else "no answer"
    return _masked(f"{step} answered {said}: {_hint(step, status, answer, settings)}", settings)


def _hint(step: str, status: int | None, answer: str, settings: Settings) -> str:
    if status is not None and 200 <= status < 300:
        return f"the answer is not what the contract expects: update {CONTRACT_FILE}"
    if status == 403:
        if not settings.api_key:
            return f"LOADTEST_API_KEY is not set; the API requires its app key in {contract.API_KEY_HEADER}"
        return f"is LOADTEST_API_KEY the right key for this host? It is sent as {contract.API_KEY_HEADER}"
    if status == 400:
        required = _required_fields(answer)
        if required:
            fields = ", ".join(repr(name) for name in required)
            return f"the API expects the field {fields}: update {CONTRACT_FILE}"
        return f"the API refused the request's fields: compare its answer with {CONTRACT_FILE}"
    if status == 401:
        if step == "sign-in":
            return "check LOADTEST_EMAIL and LOADTEST_PASSWORD"
        if settings.token_only:
            return "LOADTEST_TOKEN is expired or not valid for this host"
        return "the API refused the access token it had just issued"
    if status == 404:
        return "is LOADTEST_HOST the API's base URL (without /api/)?"
    if status == 409:
        return "the account exists already: set LOADTEST_EMAIL and LOADTEST_PASSWORD to sign in with it"
    if status is not None and status >= 500:
        return "the API is failing: look at its logs, or try again later"
    return "an answer the contract does not expect: compare it with " + CONTRACT_FILE


def _required_fields(answer: str) -> list[str]:
    try:
        body = json.loads(answer)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    return [k for k, v in body.items() if isinstance(v, list) and "This field is required." in v]


def _masked(text: str, settings: Settings) -> str:
    masking.RUN.add(*settings.secrets())
    return masking.mask(text)


def _data(settings: Settings) -> UserData:
    pools = DataPools.build(size=4)
    identity = IdentityFactory(pools, random.Random(), process_tag="preflight").new()
    if settings.can_sign_in:
        identity = Identity(
            email=settings.email,
            password=settings.password,
            first_name=identity.first_name,
            last_name=identity.last_name,
            phone_number=identity.phone_number,
        )
    return UserData(pools, random.Random(), identity, Tokens())


class _Probe:
    """The preflight's requests, all within one deadline."""

    def __init__(self, host: str, api_key: str, settings: Settings, deadline: float) -> None:
        self.host = host
        self.settings = settings
        self.deadline = deadline
        self.headers = {contract.API_KEY_HEADER: api_key} if api_key else {}

    def tokens(self, endpoint: Endpoint, step: str, data: UserData) -> str:
        resp = self._send(endpoint, step, json=endpoint.build_body(data))
        body = self._judged(resp, endpoint, step)
        masking.RUN.add_token(str(body["access"]), str(body.get("refresh") or ""))
        return body["access"]

    def read(self, endpoint: Endpoint, access: str, *, token_given: bool) -> None:
        step = f"the authenticated GET {endpoint.path}" + (" with LOADTEST_TOKEN" if token_given else "")
        headers = {"Authorization": f"Bearer {access}"}
        self._judged(self._send(endpoint, step, headers=headers), endpoint, step)

    def _send(self, endpoint: Endpoint, step: str, *, headers=None, json=None) -> requests.Response:  # noqa: ANN001
        remaining = self.deadline - time.monotonic()
        if remaining <= 0.5:
            raise PreflightFailed(f"{step}: the target did not answer in time: no load was sent")
        try:
            return requests.request(
                endpoint.method,
                self.host + endpoint.path,
                headers={**self.headers, **(headers or {})},
                json=json,
                timeout=min(remaining, config.REQUEST_TIMEOUT_S),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            where = config.redact_url(self.host)
            raise PreflightFailed(
                f"target {where} is unreachable ({type(exc).__name__}): no load was sent"
            ) from None

    def _judged(self, resp: requests.Response, endpoint: Endpoint, step: str) -> dict:
        body = None
        if resp.status_code == endpoint.status:
            try:
                body = resp.json()
            except ValueError:
                body = None
            problem = endpoint.check(body) if body is not None else "the body is not JSON"
            if problem is None:
                return body
            raise PreflightFailed(
                _masked(
                    f"{step} answered {resp.status_code} but {problem}: update {CONTRACT_FILE}", self.settings
                )
            )
        raise PreflightFailed(explain_refusal(step, resp.status_code, answer_text(resp), self.settings))
