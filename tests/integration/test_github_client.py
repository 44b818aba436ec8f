"""The GitHub client against the fake server over loopback: retries, rate limits, timeouts, pagination."""

import time

import pytest

from loadtest.github.client import AmbiguousWriteError, GitHubError, RetryPolicy
from tests.fakes.github_client import FAST_RETRIES, TOKEN, client_for

pytestmark = pytest.mark.slow

PULL = r"/pulls/7$"


def get_pull(client):
    return client.get_json(client.repo_url("pulls/7"))


def test_502_then_success_retries_once_with_backoff(github, client, sleeps):
    github.fail("GET", PULL, status=502)
    assert get_pull(client)["head"]["sha"] == "a" * 40
    assert len(github.requests_matching("GET", PULL)) == 2
    assert sleeps == [FAST_RETRIES.backoff(1)]


def test_403_with_retry_after_waits_that_long_then_succeeds(github, client, sleeps):
    github.rate_limit("GET", PULL, retry_after=7)
    assert get_pull(client)["number"] == 7
    assert sleeps == [7.0]


def test_429_without_headers_backs_off_exponentially(github, client, sleeps):
    github.fail("GET", PULL, status=429, times=2, body={"message": "Too Many Requests"})
    get_pull(client)
    assert sleeps == [FAST_RETRIES.backoff(1), FAST_RETRIES.backoff(2)]


def test_remaining_zero_waits_until_the_reset(github, client, sleeps):
    github.rate_limit("GET", PULL, reset_in=20)
    get_pull(client)
    (waited,) = sleeps
    assert 18.0 <= waited <= 22.0  # until the reset, plus one second of margin


def test_a_retry_after_beyond_the_cap_gives_up_without_sleeping(github, client, sleeps):
    github.rate_limit("GET", PULL, retry_after=3600)
    with pytest.raises(GitHubError, match="asks to wait 3600 s, more than the 30 s"):
        get_pull(client)
    assert sleeps == []


def test_total_wait_is_bounded(github, sleeps):
    policy = RetryPolicy(max_attempts=10, max_wait_s=20, max_total_wait_s=25, read_timeout_s=1)
    github.rate_limit("GET", PULL, retry_after=10, times=5)
    with (
        client_for(github, sleeps=sleeps, policy=policy) as client,
        pytest.raises(GitHubError, match="in total"),
    ):
        get_pull(client)
    assert sleeps == [10.0, 10.0]


def test_a_plain_403_is_a_permission_error_and_not_retried(github, client, sleeps):
    github.fail("GET", PULL, status=403, body={"message": "Resource not accessible by integration"})
    with pytest.raises(GitHubError, match="HTTP 403: Resource not accessible by integration") as caught:
        get_pull(client)
    assert caught.value.status == 403
    assert sleeps == []


def test_persistent_5xx_gives_up_after_max_attempts(github, client):
    github.fail("GET", PULL, status=503, times=99)
    with pytest.raises(GitHubError, match="gave up after 4 attempts; last: HTTP 503"):
        get_pull(client)
    assert len(github.requests_matching("GET", PULL)) == FAST_RETRIES.max_attempts


def test_a_timeout_then_success(github, client):
    github.hang("GET", PULL, seconds=2)
    started = time.monotonic()
    assert get_pull(client)["number"] == 7
    assert time.monotonic() - started < 1.5  # gave up on the hanging answer after the 0.5 s read timeout
    assert len(github.requests_matching("GET", PULL)) == 2


def test_a_post_that_gets_a_502_is_not_repeated_blindly(github, client):
    github.fail("POST", r"/issues/7/comments$", status=502)
    with pytest.raises(AmbiguousWriteError):
        client.request("POST", client.repo_url("issues/7/comments"), json={"body": "x"})
    assert len(github.requests_matching("POST", r"/comments$")) == 1


def test_a_rate_limited_post_is_retried(github, client, sleeps):
    github.rate_limit("POST", r"/issues/7/comments$", retry_after=2)
    client.request("POST", client.repo_url("issues/7/comments"), json={"body": "x"})
    assert sleeps == [2.0]
    assert len(github.comments(7)) == 1


def test_pagination_follows_link_next_through_every_page(github, client):
    for i in range(250):
        github.add_comment(7, f"comment {i}")
    bodies = [
        c["body"] for c in client.paginate(client.repo_url("issues/7/comments"), params={"per_page": 100})
    ]
    assert bodies == [f"comment {i}" for i in range(250)]
    pages = [r.query.get("page", "1") for r in github.requests_matching("GET", r"/issues/7/comments$")]
    assert pages == ["1", "2", "3"]


def test_every_api_request_carries_the_token_and_the_api_version(github, client):
    get_pull(client)
    (seen,) = github.requests_matching("GET", PULL)
    assert seen.authorization == f"Bearer {TOKEN}"
    assert seen.headers["x-github-api-version"] == "2022-11-28"


def test_the_token_is_never_sent_to_another_origin(github, client):
    with pytest.raises(GitHubError, match="refusing to send the token"):
        client.request("GET", "http://127.0.0.2:9/elsewhere")
