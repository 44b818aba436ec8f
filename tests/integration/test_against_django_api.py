"""The load test against a server built on the real API's framework (Django REST Framework + SimpleJWT).

The example API in examples/api-repository/ implements the 13 endpoints from the evidence about the real
API, with SimpleJWT's own views (refresh rotation, blacklist) and the API-key check, on PostgreSQL behind
gunicorn; it shares no code with the load test. These runs hold the load test to the framework's
behaviour: its validation errors, its 401 bodies, its pagination.
"""

import csv
import json

import pytest
import requests

from loadtest import bundle, contract
from loadtest.user.session import TOKEN_EXPIRED_HINT
from tests.conftest import run_script
from tests.example_api import EXAMPLE, running_example_api

pytestmark = pytest.mark.slow

API_KEY = "5f1c8a3e-1f0d-4c4e-9a7b-django-test"
ACCOUNT = {"email": "loadtest@example.org", "password": "Load-test-password-1"}
ALL = {e.name for e in contract.API}
NEED_AN_ACCOUNT = {contract.SIGN_IN.name, contract.TOKEN_REFRESH.name}
WITHOUT_LATENCY_LIMITS = {
    "description": "What these runs prove: every request answered as the framework answers it. A Django "
    "server on a shared machine has no latency worth judging, so no response-time limit applies.",
    "defaults": {
        "aggregate": {"failure_ratio": {"value": 0, "reason": "the framework answers every request"}},
        "endpoint": {"failure_ratio": {"value": 0, "reason": "the framework answers every request"}},
    },
}


@pytest.fixture
def thresholds(tmp_path) -> str:
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps(WITHOUT_LATENCY_LIMITS), encoding="utf-8")
    return str(path)


def sign_up(base_url: str) -> dict:
    answer = requests.post(
        base_url + contract.SIGN_UP.path, json=ACCOUNT, headers={contract.API_KEY_HEADER: API_KEY}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def rows(out) -> dict[str, tuple[int, int]]:
    """(requests, failures) per endpoint from the stats CSV."""
    with open(out / bundle.STATS_CSV, newline="", encoding="utf-8") as handle:
        return {
            bundle.stats_name(row["Type"], row["Name"]): (
                int(row["Request Count"]),
                int(row["Failure Count"]),
            )
            for row in csv.DictReader(handle)
            if row["Type"]
        }


def exceptions(out) -> list[dict]:
    with open(out / bundle.EXCEPTIONS_CSV, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def print_table(title: str, counts: dict[str, tuple[int, int]]) -> None:
    """The table for the closing note (pytest -s shows it)."""
    print(f"\n{title}\n| endpoint | requests | failures |\n|---|---:|---:|")
    for name in (e.name for e in contract.API):
        requests_, failures = counts.get(name, (0, 0))
        print(f"| `{name}` | {requests_:,} | {failures:,} |")


START = "gunicorn amal_api.wsgi"
SETUP = "bin/setup"
"""What the example's workflow gives the action (examples/api-repository/.github/workflows/load-test.yml)."""


@pytest.fixture
def head_database(postgres):
    """The PG* variables that give the example's commands the tests' server and its head side's
    database (amal_api_head: no PGDATABASE), dropped before and after, as on a fresh runner."""
    postgres.drop_database("amal_api_head")
    yield {**postgres.environ("amal_api_head"), "PGDATABASE": None}
    postgres.drop_database("amal_api_head")


def test_every_endpoint_works_when_the_runner_starts_the_example_with_5_second_tokens(
    head_database, thresholds, tmp_path
):
    """The runner sets up and starts the example as its workflow does, an account of the load test's
    seeded, access tokens that live 5 s: every user refreshes many times under rotation."""
    out = tmp_path / "started"
    env = {
        **head_database,
        "ACCESS_TOKEN_LIFETIME_SECONDS": "5",
        "LOADTEST_API_KEY": API_KEY,
        "LOADTEST_EMAIL": ACCOUNT["email"],
        "LOADTEST_PASSWORD": ACCOUNT["password"],
    }
    proc = run_script(
        "run_tests.py", "--preset", "smoke", "-t", "30s", "--out", str(out), "--thresholds", thresholds,
        "--dir", str(EXAMPLE), "--setup", SETUP, "--start", START, env=env,
    )  # fmt: skip
    counts = rows(out)
    print_table("The example API started by the runner, email and password, 5 s tokens, 30 s smoke", counts)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert set(counts) == ALL and all(requests_ > 0 for requests_, _ in counts.values())
    assert sum(failures for _, failures in counts.values()) == 0, (out / bundle.FAILURES_CSV).read_text()
    # 20 users refresh ahead of each 5-second token: the rotation path ran again and again.
    assert counts[contract.TOKEN_REFRESH.name][0] >= 40
    assert exceptions(out) == []
    facts = json.loads((out / bundle.RUN_FACTS).read_text())
    assert (facts["target"], facts["start_command"]) == ("started", START)
    server_log = (out / bundle.SERVER_LOG).read_text()
    assert "seeded: 300 library items, 8 help articles, the API key, the load test's account" in server_log
    assert API_KEY not in server_log and ACCOUNT["password"] not in server_log


def test_a_ready_token_alone_runs_every_task_and_names_what_it_cannot_exercise(
    postgres, thresholds, tmp_path
):
    with running_example_api(postgres, API_KEY) as url:
        token = sign_up(url)["access"]
        out = tmp_path / "token-only"
        env = {"LOADTEST_API_KEY": API_KEY, "LOADTEST_TOKEN": token}
        proc = run_script(
            "run_tests.py", "--preset", "smoke", "-t", "15s", "--host", url, "--out", str(out),
            "--thresholds", thresholds, env=env,
        )  # fmt: skip
    counts = rows(out)
    print_table("Django API, LOADTEST_TOKEN only, 15 s smoke run", counts)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert set(counts) == ALL - NEED_AN_ACCOUNT
    assert sum(failures for _, failures in counts.values()) == 0, (out / bundle.FAILURES_CSV).read_text()
    assert exceptions(out) == []
    verdict = json.loads((out / bundle.VERDICT_JSON).read_text())
    unexercised = {f["scope"] for f in verdict["findings"] if f["observed"].startswith("not exercised")}
    assert verdict["verdict"] == "warn" and unexercised == NEED_AN_ACCOUNT
    summary = (out / bundle.SUMMARY_MD).read_text()
    assert all(f"`{name}`" in summary for name in NEED_AN_ACCOUNT)


def test_an_expired_ready_token_says_how_to_sign_in_again(postgres, run_locust):
    # Plain Locust (no preflight): the token lives 2 s, the run 6 s.
    with running_example_api(postgres, API_KEY, access_lifetime=2) as url:
        token = sign_up(url)["access"]
        run = run_locust(
            url,
            "--tags",
            "dashboard",
            run_time="6s",
            users=2,
            env={"LOADTEST_API_KEY": API_KEY, "LOADTEST_TOKEN": token},
        )
    assert TOKEN_EXPIRED_HINT in run.failures_text()


def test_without_the_api_key_the_run_stops_before_any_load(postgres, tmp_path):
    with running_example_api(postgres, API_KEY) as url:
        proc = run_script(
            "run_tests.py",
            "--preset",
            "smoke",
            "--host",
            url,
            "--out",
            str(tmp_path / "b"),
            env={"LOADTEST_EMAIL": ACCOUNT["email"], "LOADTEST_PASSWORD": ACCOUNT["password"]},
        )
    assert proc.returncode == 3
    assert "sign-in answered 403" in proc.stderr and "LOADTEST_API_KEY is not set" in proc.stderr
    assert not (tmp_path / "b" / bundle.STATS_CSV).exists()
