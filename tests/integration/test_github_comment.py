"""The sticky PR comment against the fake server: found on any page, updated in place, never duplicated."""

import pytest

from loadtest.github.comment import post_sticky_comment
from loadtest.text.summary_limits import MAX_COMMENT_CHARS, MAX_SUMMARY_CHARS, SUMMARY_MARKER
from tests.fakes.github_server import BOT_USER

pytestmark = pytest.mark.slow

PR = 7
COMMENTS = r"/issues/7/comments$"
SUMMARY = "## Load test: smoke\n\nAll thresholds passed.\n"


def stickies(github):
    return [c for c in github.comments(PR) if c["body"].startswith(SUMMARY_MARKER)]


def test_first_run_creates_one_comment_starting_with_the_marker(github, client):
    result = post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    (comment,) = github.comments(PR)
    assert result.action == "created" and result.comment_id == comment["id"]
    assert comment["body"] == f"{SUMMARY_MARKER}\n{SUMMARY}"


def test_an_existing_sticky_comment_is_updated_in_place(github, client):
    old = github.add_comment(PR, f"{SUMMARY_MARKER}\nold numbers", user=BOT_USER)
    result = post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    assert (result.action, result.comment_id) == ("updated", old["id"])
    assert [c["body"] for c in github.comments(PR)] == [f"{SUMMARY_MARKER}\n{SUMMARY}"]
    assert github.requests_matching("POST", COMMENTS) == []


def test_sticky_comment_on_page_two_of_more_than_100_is_updated_not_duplicated(github, client):
    for i in range(120):
        github.add_comment(PR, f"review comment {i}")
    old = github.add_comment(PR, f"{SUMMARY_MARKER}\nold numbers", user=BOT_USER)
    for i in range(30):
        github.add_comment(PR, f"later comment {i}")
    result = post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    assert (result.action, result.comment_id) == ("updated", old["id"])
    assert len(github.comments(PR)) == 151
    assert [c["id"] for c in stickies(github)] == [old["id"]]
    pages = [r.query.get("page", "1") for r in github.requests_matching("GET", COMMENTS)]
    assert pages == ["1", "2"]


def test_an_unchanged_summary_is_not_written_again(github, client):
    post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    result = post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    assert result.action == "unchanged"
    assert github.requests_matching("PATCH", r"/issues/comments/") == []


def test_a_person_quoting_the_marker_is_not_overwritten(github, client):
    quoted = github.add_comment(PR, f"{SUMMARY_MARKER}\nwhy is this slow?")
    post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    bodies = {c["id"]: c["body"] for c in github.comments(PR)}
    assert bodies[quoted["id"]] == f"{SUMMARY_MARKER}\nwhy is this slow?"
    assert len(bodies) == 2


def test_502_on_the_post_then_success_leaves_one_comment(github, client):
    github.fail("POST", COMMENTS, status=502)
    assert post_sticky_comment(client, pr_number=PR, summary=SUMMARY).action == "created"
    assert len(stickies(github)) == 1
    assert len(github.requests_matching("POST", COMMENTS)) == 2


def test_a_post_that_timed_out_after_landing_is_not_repeated(github, client):
    github.hang("POST", COMMENTS, seconds=2, after_apply=True)
    result = post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    assert len(github.requests_matching("POST", COMMENTS)) == 1
    (comment,) = github.comments(PR)
    assert result.comment_id == comment["id"]
    assert result.action == "unchanged"


def test_a_post_that_timed_out_before_landing_is_sent_again(github, client):
    github.hang("POST", COMMENTS, seconds=2)
    assert post_sticky_comment(client, pr_number=PR, summary=SUMMARY).action == "created"
    assert len(github.comments(PR)) == 1
    assert len(github.requests_matching("POST", COMMENTS)) == 2


def test_403_with_retry_after_on_the_post_then_success(github, client, sleeps):
    github.rate_limit("POST", COMMENTS, retry_after=3)
    post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    assert sleeps == [3.0]
    assert len(github.comments(PR)) == 1


def test_rate_limit_on_the_listing_via_remaining_zero_and_reset(github, client, sleeps):
    github.rate_limit("GET", COMMENTS, reset_in=5)
    post_sticky_comment(client, pr_number=PR, summary=SUMMARY)
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 7.0
    assert len(github.comments(PR)) == 1


def test_a_body_over_the_limit_is_trimmed_and_accepted(github, client):
    summary = "| endpoint | p95 |\n" + "| GET /api/x/ | 120 ms |\n" * 4000
    assert len(summary) > MAX_COMMENT_CHARS
    post_sticky_comment(client, pr_number=PR, summary=summary)
    (comment,) = github.comments(PR)
    assert len(comment["body"]) <= MAX_SUMMARY_CHARS
    assert comment["body"].startswith(SUMMARY_MARKER)
    assert "trimmed to fit in a GitHub comment" in comment["body"]


def test_the_fake_rejects_an_untrimmed_body_like_github(github, client):
    response = client._session.post(client.repo_url(f"issues/{PR}/comments"), json={"body": "x" * 65_537})
    assert response.status_code == 422
