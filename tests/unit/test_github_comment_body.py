"""The sticky comment's body: the marker, GitHub's limit, recognising our own comment.

How a text is cut to the limit is tests/unit/test_summary_limits.py's; here, that the body uses it.
"""

import pytest

from loadtest.github.comment import is_sticky, pr_number_from_event, sticky_body
from loadtest.text.summary_limits import MAX_COMMENT_CHARS, MAX_SUMMARY_CHARS, SUMMARY_MARKER, TRIM_NOTE

BOT = {"login": "github-actions[bot]", "type": "Bot"}


def test_the_marker_comes_first_exactly_once():
    assert sticky_body("## Load test\n") == f"{SUMMARY_MARKER}\n## Load test\n"
    assert sticky_body(f"{SUMMARY_MARKER}\n## Load test\n") == f"{SUMMARY_MARKER}\n## Load test\n"


@pytest.mark.parametrize("length", [1, MAX_COMMENT_CHARS - len(SUMMARY_MARKER) - 1])
def test_a_body_within_the_limit_is_the_summary_itself(length):
    summary = f"{SUMMARY_MARKER}\n" + "x" * (length - 1)
    assert sticky_body(summary) == summary


def test_a_body_over_the_limit_arrives_trimmed_with_a_note_and_the_marker_first():
    body = sticky_body("".join(f"| row {i} | {i} ms |\n" for i in range(5000)))
    assert len(body) <= MAX_SUMMARY_CHARS
    assert body.startswith(f"{SUMMARY_MARKER}\n| row 0 | 0 ms |\n") and body.endswith(TRIM_NOTE)


OTHER_APP = {"login": "renovate[bot]", "type": "Bot"}
PERSON = {"login": "Octocat", "type": "User"}


@pytest.mark.parametrize(
    ("comment", "author", "expected"),
    [
        ({"body": f"{SUMMARY_MARKER}\nx", "user": BOT}, "github-actions[bot]", True),
        ({"body": f"\n  {SUMMARY_MARKER}\nx", "user": BOT}, "github-actions[bot]", True),
        ({"body": f"{SUMMARY_MARKER}\nx", "user": PERSON}, "github-actions[bot]", False),
        ({"body": f"{SUMMARY_MARKER}\nx", "user": OTHER_APP}, "github-actions[bot]", False),
        ({"body": f"{SUMMARY_MARKER}\nx", "user": PERSON}, "octocat", True),
        ({"body": f"{SUMMARY_MARKER}\nx", "user": BOT}, "octocat", False),
        ({"body": f"quoting {SUMMARY_MARKER}", "user": BOT}, "github-actions[bot]", False),
        ({"body": None, "user": BOT}, "github-actions[bot]", False),
        ({"body": f"{SUMMARY_MARKER}"}, "github-actions[bot]", False),
    ],
    ids=[
        "ours",
        "leading-space",
        "a-person",
        "another-apps-bot",
        "our-personal-token",
        "the-bot-when-we-are-a-person",
        "marker-not-first",
        "no-body",
        "no-user",
    ],
)
def test_is_sticky_only_for_the_tokens_own_comment(comment, author, expected):
    assert is_sticky(comment, author=author) is expected


def test_the_body_is_sanitised_and_the_provenance_line_comes_last_uncut():
    summary = f"{SUMMARY_MARKER}\n## PASS @octocat #1\n" + "| row | @team |\n" * 20_000
    provenance = "<sub>Posted by the load-test comment workflow from the artifact of run 7.</sub>"

    body = sticky_body(summary, provenance=provenance)

    assert len(body) <= MAX_SUMMARY_CHARS
    assert body.startswith(f"{SUMMARY_MARKER}\n## PASS @\u2060octocat #\u20601\n| row | @\u2060team |\n")
    assert body.endswith(f"{TRIM_NOTE}\n{provenance}\n")
    assert "@team" not in body


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"pull_request": {"number": 42}}, 42),
        ({"pull_request": {"number": "42"}}, None),
        ({"pull_request": {"number": 0}}, None),
        ({"pull_request": {"number": True}}, None),
        ({"workflow_run": {"pull_requests": [{"number": 42}]}}, None),
        ({}, None),
    ],
)
def test_pr_number_from_event(event, expected):
    assert pr_number_from_event(event) == expected
