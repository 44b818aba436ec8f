"""Configuration: endpoints, hosts and credentials."""

import pytest

from loadtest import config, contract


def test_thirteen_endpoints_with_unique_stats_names():
    names = [e.name for e in contract.ENDPOINTS]
    assert len(names) == 13 == len(set(names))
    assert all(e.path.startswith("/api/") and e.path.endswith("/") for e in contract.ENDPOINTS)


def test_only_sign_up_sign_in_refresh_and_help_articles_are_public():
    public = {e.name for e in contract.ENDPOINTS if not e.auth}
    assert public == {
        "POST /api/accounts/sign-up/",
        "POST /api/accounts/sign-in/",
        "POST /api/accounts/token/refresh/",
        "GET /api/help-center/help-articles/",
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://staging.example.com", "https://staging.example.com"),
    ],
)
def test_validate_host_accepts_http_urls(url, expected):
    assert config.validate_host(url) == expected


@pytest.mark.parametrize(
    "url", ["ftp://x", "staging.example.com", "http://", "http://h:port", "http://h/?a=1"]
)
def test_validate_host_rejects_malformed_urls(url):
    with pytest.raises(config.ConfigError):
        config.validate_host(url)


def test_redact_url_drops_userinfo():
    assert config.redact_url("https://bob:s3cret@host.example/x") == "https://host.example/x"
