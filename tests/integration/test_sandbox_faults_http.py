"""Fault injection over HTTP: latency moves only its endpoint, error rates hold, admin changes rules."""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from loadtest import config
from loadtest.sandbox import SandboxError, get_faults, set_faults

pytestmark = pytest.mark.slow

TIMEOUT = config.REQUEST_TIMEOUT_S
SAMPLES = 30


def median_ms(session: requests.Session, url: str) -> float:
    """Median response time of SAMPLES sequential keep-alive requests."""
    times = []
    for _ in range(SAMPLES):
        start = time.perf_counter()
        response = session.get(url, timeout=TIMEOUT)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(times)


@pytest.fixture
def admin_sandbox(sandbox_factory, sign_in_new_user):
    """A fresh admin sandbox (faults never leak into other tests), a session carrying a valid token."""
    base_url = sandbox_factory(admin=True, seed=7)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sign_in_new_user(base_url)[0]}"
        yield base_url, session


def test_50_ms_on_one_endpoint_moves_its_median_by_50_ms_and_leaves_the_others(admin_sandbox):
    base_url, session = admin_sandbox
    slow, other = base_url + config.DASHBOARD.path, base_url + config.TOOLS_AND_TEMPLATES.path
    before = median_ms(session, slow), median_ms(session, other)
    set_faults(base_url, [{"match": config.DASHBOARD.name, "latency_ms": 50}])
    after = median_ms(session, slow), median_ms(session, other)
    assert 40 <= after[0] - before[0] <= 80, (before, after)
    assert abs(after[1] - before[1]) <= 15, (before, after)


def test_a_10_percent_error_rate_gives_about_10_percent_5xx(admin_sandbox):
    base_url, session = admin_sandbox
    set_faults(base_url, [{"match": "GET /api/ai-assistant/*", "error_rate": 0.1}])
    statuses = [session.get(base_url + config.LIBRARY.path, timeout=TIMEOUT).status_code for _ in range(1000)]
    assert set(statuses) == {200, 503}
    assert 60 <= statuses.count(503) <= 140
    injected = session.get(base_url + config.DASHBOARD.path, timeout=TIMEOUT)
    assert injected.status_code == 200  # another endpoint, untouched


def test_an_injected_error_is_json(admin_sandbox):
    base_url, session = admin_sandbox
    set_faults(base_url, [{"match": config.SEARCH.name, "error_rate": 1, "error_status": 500}])
    response = session.get(base_url + config.SEARCH.path, params={"q": "x"}, timeout=TIMEOUT)
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Service temporarily unavailable (injected fault).",
        "code": "injected_fault",
    }


def test_a_slow_endpoint_does_not_hold_up_the_others(admin_sandbox):
    base_url, session = admin_sandbox
    set_faults(base_url, [{"match": config.DASHBOARD.name, "latency_ms": 1500}])
    headers = dict(session.headers)
    finished = []

    def slow_call(_):
        requests.get(base_url + config.DASHBOARD.path, headers=headers, timeout=TIMEOUT)
        finished.append("slow")

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(slow_call, n) for n in range(4)]
        time.sleep(0.2)  # the slow requests are now asleep in the sandbox
        assert requests.get(base_url + config.HELP_ARTICLES.path, timeout=TIMEOUT).status_code == 200
        finished.append("fast")
        for future in futures:
            future.result()
    assert finished[0] == "fast"


def test_faults_given_at_start_apply_from_the_first_request(sandbox_factory):
    base_url = sandbox_factory(faults=[{"match": config.HELP_ARTICLES.name, "error_rate": 1}])
    assert requests.get(base_url + config.HELP_ARTICLES.path, timeout=TIMEOUT).status_code == 503


def test_admin_reads_and_replaces_rules_in_canonical_form(admin_sandbox):
    base_url, _ = admin_sandbox
    assert get_faults(base_url) == []
    rules = [{"match": "*", "jitter": {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5}}]
    canonical = set_faults(base_url, rules)
    assert canonical == get_faults(base_url)
    assert canonical == [
        {
            "match": "*",
            "latency_ms": 0.0,
            "jitter": {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5},
            "scale": 1.0,
            "error_rate": 0.0,
            "error_status": 503,
        }
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"rules": [{"match": "*", "error_rate": 2}]},
        {"rules": "*"},
        {"faults": []},
        {"rules": [{"latency_ms": 5}]},
    ],
)
def test_admin_refuses_bad_rules_with_400_and_keeps_the_old_ones(admin_sandbox, body):
    base_url, _ = admin_sandbox
    set_faults(base_url, [{"match": "*", "latency_ms": 1}])
    response = requests.put(f"{base_url}/__sandbox/faults", json=body, timeout=TIMEOUT)
    assert response.status_code == 400
    assert "rules" in response.json()
    assert get_faults(base_url)[0]["latency_ms"] == 1


def test_admin_paths_are_never_subject_to_faults(admin_sandbox):
    base_url, _ = admin_sandbox
    set_faults(base_url, [{"match": "*", "error_rate": 1}])
    assert requests.get(f"{base_url}/__sandbox/stats", timeout=TIMEOUT).status_code == 200
    assert set_faults(base_url, []) == []


def test_without_admin_the_admin_paths_do_not_exist(sandbox_factory):
    base_url = sandbox_factory()
    assert requests.get(f"{base_url}/__sandbox/faults", timeout=TIMEOUT).status_code == 404
    with pytest.raises(SandboxError, match="--admin"):
        set_faults(base_url, [])
