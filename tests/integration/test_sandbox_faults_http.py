"""Fault injection over HTTP: latency moves only its endpoint, error rates hold, admin changes rules.

Nothing here compares two measured times: a fault's latency is a lower bound on a response time
(the sandbox sleeps at least that long after it has read the request, which the client sent after
starting its clock), and which requests fail is fixed by the seed. Either holds however busy the machine.
"""

import socket
import time
from statistics import NormalDist
from urllib.parse import urlsplit

import pytest
import requests

from loadtest import contract
from loadtest.sandbox import SandboxError, get_faults, get_stats, set_faults
from loadtest.sandbox.faults import MAX_MS, MAX_Z, FaultInjector, parse_rules
from loadtest.sandbox.profiles import profile_rules
from tests.integration.conftest import API_KEY, api_request, call_endpoint

pytestmark = pytest.mark.slow

SEED = 7


def timed_ms(session: requests.Session, endpoint: contract.Endpoint, base_url: str, **kwargs) -> float:
    start = time.perf_counter()
    response = call_endpoint(base_url, endpoint, session=session, **kwargs)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == endpoint.status, response.text
    return elapsed


def wait_until(condition, what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s:g} s"
        time.sleep(0.01)


@pytest.fixture
def admin_sandbox(sandbox_factory, sign_in_new_user):
    """A fresh admin sandbox (faults never leak into other tests), a session carrying the key and a token."""
    base_url = sandbox_factory(admin=True, seed=SEED)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {sign_in_new_user(base_url)[0]}"
        yield base_url, session


def test_50_ms_of_latency_delays_every_request_of_its_endpoint_by_50_ms_at_least(admin_sandbox):
    base_url, session = admin_sandbox
    set_faults(base_url, [{"match": contract.DASHBOARD.name, "latency_ms": 50}])
    assert min(timed_ms(session, contract.DASHBOARD, base_url) for _ in range(10)) >= 50


def test_latency_on_one_endpoint_leaves_the_others_alone(admin_sandbox):
    base_url, session = admin_sandbox
    # A minute on the dashboard: any other endpoint the rule touched would outlast the 10 s timeout.
    set_faults(base_url, [{"match": contract.DASHBOARD.name, "latency_ms": MAX_MS}])
    for endpoint in (contract.TOOLS_AND_TEMPLATES, contract.SEARCH, contract.HELP_ARTICLES):
        assert call_endpoint(base_url, endpoint, session=session, timeout=10).status_code == 200
    with pytest.raises(requests.Timeout):
        call_endpoint(base_url, contract.DASHBOARD, session=session, timeout=1)


def test_a_slow_endpoint_does_not_hold_up_the_others(admin_sandbox):
    base_url, session = admin_sandbox
    set_faults(base_url, [{"match": contract.DASHBOARD.name, "latency_ms": MAX_MS}])
    served = get_stats(base_url)["requests_served"]
    address = urlsplit(base_url)
    request = (
        f"GET {contract.DASHBOARD.path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"{contract.API_KEY_HEADER}: {API_KEY}\r\nAuthorization: {session.headers['Authorization']}\r\n\r\n"
    ).encode()
    slow = [socket.create_connection((address.hostname, address.port), timeout=10) for _ in range(4)]
    try:
        for connection in slow:
            connection.sendall(request)
        # Each is counted before it sleeps: from here the four are asleep in the sandbox.
        wait_until(lambda: get_stats(base_url)["requests_served"] == served + 4, "the slow requests arrive")
        for endpoint in (contract.HELP_ARTICLES, contract.TOOLS_AND_TEMPLATES):
            assert call_endpoint(base_url, endpoint, session=session, timeout=10).status_code == 200
        for connection in slow:
            connection.setblocking(False)
            with pytest.raises(BlockingIOError):  # no answer yet: still asleep
                connection.recv(1)
    finally:
        for connection in slow:
            connection.close()


def test_a_10_percent_error_rate_fails_the_requests_the_seed_picks(admin_sandbox):
    base_url, session = admin_sandbox
    rules = [{"match": "GET /api/ai-assistant/*", "error_rate": 0.1}]
    set_faults(base_url, rules)
    statuses = [call_endpoint(base_url, contract.LIBRARY, session=session).status_code for _ in range(1000)]
    # The same seed, the same rules, the same draws: the sandbox's own decisions, request by request.
    injector = FaultInjector(parse_rules(rules), seed=SEED)
    rule = injector.rule_for(contract.LIBRARY.name)
    assert statuses == [injector.decide(rule)[1] or 200 for _ in range(1000)]
    assert set(statuses) == {200, 503} and 60 <= statuses.count(503) <= 140
    untouched = call_endpoint(base_url, contract.DASHBOARD, session=session)
    assert untouched.status_code == 200  # another endpoint, another rule: none


def test_an_injected_error_is_json(admin_sandbox):
    base_url, session = admin_sandbox
    set_faults(base_url, [{"match": contract.SEARCH.name, "error_rate": 1, "error_status": 500}])
    response = call_endpoint(base_url, contract.SEARCH, session=session, params={"q": "x"})
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Service temporarily unavailable (injected fault).",
        "code": "injected_fault",
    }


def test_faults_come_after_the_key_check_and_before_authentication(admin_sandbox):
    base_url, _ = admin_sandbox
    set_faults(base_url, [{"match": contract.DASHBOARD.name, "error_rate": 1}])
    assert call_endpoint(base_url, contract.DASHBOARD, key=None).status_code == 403
    assert call_endpoint(base_url, contract.DASHBOARD).status_code == 503  # no token, still the fault


def test_faults_given_at_start_apply_from_the_first_request(sandbox_factory):
    base_url = sandbox_factory(faults=[{"match": contract.HELP_ARTICLES.name, "error_rate": 1}])
    assert call_endpoint(base_url, contract.HELP_ARTICLES).status_code == 503


QUANTILES = {"distribution": "quantiles", "p50_ms": 420, "p90_ms": 850, "p95_ms": 1200, "p99_ms": 2300}


def test_admin_reads_and_replaces_rules_in_canonical_form(admin_sandbox):
    base_url, _ = admin_sandbox
    assert get_faults(base_url) == []
    rules = [
        {"match": contract.SIGN_IN.name, "jitter": QUANTILES, "scale": 0.1},
        {"match": "*", "jitter": {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5}},
    ]
    canonical = set_faults(base_url, rules)
    assert canonical == get_faults(base_url)
    defaults = {"latency_ms": 0.0, "scale": 1.0, "error_rate": 0.0, "error_status": 503}
    assert canonical == [defaults | rule for rule in rules]


@pytest.mark.parametrize(
    "body",
    [
        {"rules": [{"match": "*", "error_rate": 2}]},
        {"rules": "*"},
        {"faults": []},
        {"rules": [{"latency_ms": 5}]},
        {"rules": [{"match": "*", "jitter": QUANTILES | {"p90_ms": 2400}}]},
    ],
)
def test_admin_refuses_bad_rules_with_400_and_keeps_the_old_ones(admin_sandbox, body):
    base_url, _ = admin_sandbox
    set_faults(base_url, [{"match": "*", "latency_ms": 1}])
    response = api_request("PUT", f"{base_url}/__sandbox/faults", key=None, json=body)
    assert response.status_code == 400
    assert set(response.json()) == {"rules"}
    assert get_faults(base_url) == [r.to_dict() for r in parse_rules([{"match": "*", "latency_ms": 1}])]


def test_admin_paths_need_no_key_and_are_never_subject_to_faults(admin_sandbox):
    base_url, _ = admin_sandbox
    set_faults(base_url, [{"match": "*", "error_rate": 1}])
    assert api_request("GET", f"{base_url}/__sandbox/stats", key=None).status_code == 200
    assert api_request("GET", f"{base_url}/__sandbox/stats", key="not-the-key").status_code == 200
    assert set_faults(base_url, []) == []


def test_without_admin_the_admin_paths_do_not_exist(sandbox_factory):
    base_url = sandbox_factory()
    for key in (None, API_KEY):
        response = api_request("GET", f"{base_url}/__sandbox/faults", key=key)
        assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    with pytest.raises(SandboxError, match="--admin"):
        set_faults(base_url, [])


# -- the realistic latency profile ----------------------------------------------------------------

PROFILE_SCALE = 0.1
REQUESTS = 20


def test_the_realistic_profile_answers_help_articles_at_least_as_slowly_as_it_draws(sandbox_factory):
    first = {"match": contract.CONTACT_US.name, "error_rate": 1}
    base_url = sandbox_factory(
        profile="realistic", profile_scale=PROFILE_SCALE, admin=True, seed=SEED, faults=[first]
    )
    without = sandbox_factory(admin=True)
    assert get_faults(without) == []
    # --fault rules first, then one rule per endpoint of the contract.
    rules = get_faults(base_url)
    assert rules == [r.to_dict() for r in parse_rules([first])] + [
        r.to_dict() for r in profile_rules("realistic", scale=PROFILE_SCALE)
    ]
    timing = contract.HELP_ARTICLES.timing
    assert timing.p50 * PROFILE_SCALE == pytest.approx(24)
    # The sampler's least latency is at its lowest z, -MAX_Z, on the p50-p90 piece extended down:
    # p50 * (p90 / p50) ** (-MAX_Z / z90), 35.0 ms for help articles; x 0.1.
    z90 = NormalDist().inv_cdf(0.90)
    least_ms = timing.p50 * (timing.p90 / timing.p50) ** (-MAX_Z / z90) * PROFILE_SCALE
    assert least_ms == pytest.approx(3.50, abs=0.01)
    # What the sandbox draws, request by request: the same seed and rules, here.
    injector = FaultInjector(parse_rules(rules), seed=SEED)
    rule = injector.rule_for(contract.HELP_ARTICLES.name)
    drawn_ms = [injector.decide(rule)[0] * 1000 for _ in range(REQUESTS)]
    assert min(drawn_ms) >= least_ms
    with requests.Session() as session:
        took_ms = [timed_ms(session, contract.HELP_ARTICLES, base_url) for _ in range(REQUESTS)]
    assert all(took >= least_ms for took in took_ms), (least_ms, took_ms)
    assert all(took >= drawn for took, drawn in zip(took_ms, drawn_ms, strict=True)), (drawn_ms, took_ms)
    # And the --fault rule came first: contact-us fails before the profile's latency is considered.
    assert call_endpoint(base_url, contract.CONTACT_US, json={}).status_code == 503
