"""The production guard decides the same way for the runner and for the locustfile."""

import pytest

from loadtest import contract
from loadtest.settings import Settings
from loadtest.user import safety

PROD = "https://backend.amal.education"
SETTINGS = Settings()


def test_the_write_tags_come_from_the_contract():
    writes = {e.name: set(e.tags) for e in contract.API if e.writes}
    assert writes == {
        "POST /api/accounts/sign-up/": {"auth", "write"},
        "POST /api/ai-assistant/chat/thread/": {"ai", "write"},
        "POST /api/ai-assistant/create-collection/": {"library", "write"},
        "POST /api/help-center/contact-us/": {"help", "write"},
    }


@pytest.mark.parametrize(
    ("tags", "exclude", "expected"),
    [
        ((), (), True),
        ((), ("write",), False),
        (("dashboard",), (), False),
        (("auth",), (), True),  # sign_up is tagged auth and write
        (("auth",), ("write",), False),
        (("write",), (), True),
        (("dashboard", "library"), (), True),
    ],
)
def test_writes_enabled_follows_locusts_tag_filter(tags, exclude, expected):
    assert safety.writes_enabled(contract.API, tags, exclude) is expected


@pytest.mark.parametrize(
    ("users", "run_time_s", "heavy"),
    [(10, 60, False), (5, 30, False), (11, 60, True), (10, 61, True), (10, None, True)],
)
def test_heavy_means_more_than_the_quick_preset(users, run_time_s, heavy):
    assert safety.heavy_run(users, run_time_s, (1.0, 3.0))[0] is heavy


@pytest.mark.parametrize(
    ("preset", "heavy"),
    [("quick", False), ("smoke", True), ("medium", True), ("stress", True), ("soak", True), ("spike", True)],
)
def test_only_quick_may_load_production(preset, heavy):
    from loadtest.presets import load_preset

    spec = load_preset(preset)
    assert safety.heavy_run(spec.peak_users, spec.run_time_s, spec.wait_s)[0] is heavy


def test_a_fast_pace_is_heavy_and_says_so():
    heavy, reason = safety.heavy_run(10, 60, (0.05, 0.15))
    assert heavy and "about 100 requests/s is faster than the quick preset's about 5" in reason


def test_heavy_run_against_production_is_refused_with_the_way_out():
    message = safety.production_refusal(
        PROD, SETTINGS, heavy=True, heavy_reason="50 users", writes=False, allowed=False
    )
    assert "backend.amal.education" in message and "50 users" in message
    assert safety.ALLOW_FLAG in message and "staging" in message


def test_writes_against_production_are_refused():
    message = safety.production_refusal(
        PROD, SETTINGS, heavy=False, heavy_reason="", writes=True, allowed=False
    )
    assert "--exclude-tags write" in message


@pytest.mark.parametrize(
    ("host", "heavy", "writes", "allowed"),
    [
        (PROD, False, False, False),  # light and read-only: fine
        (PROD, True, True, True),  # explicitly allowed
        ("https://staging.amal.education", True, True, False),  # not production
        ("http://127.0.0.1:8000", True, True, False),
    ],
)
def test_runs_that_go_ahead(host, heavy, writes, allowed):
    assert (
        safety.production_refusal(
            host, SETTINGS, heavy=heavy, heavy_reason="x", writes=writes, allowed=allowed
        )
        is None
    )


def test_extra_production_hosts_come_from_the_environment():
    settings = Settings.from_environ({"LOADTEST_PRODUCTION_HOSTS": "mirror.example.com, other.example.com"})
    assert safety.production_refusal(
        "https://mirror.example.com", settings, heavy=True, heavy_reason="x", writes=False, allowed=False
    )
