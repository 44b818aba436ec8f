"""The sticky comment's body: the marker, trimming to GitHub's limit, recognising our own comment."""

import pytest

from loadtest.github.comment import (
    MAX_COMMENT_CHARS,
    SUMMARY_MARKER,
    TRIM_NOTE,
    TRIM_TARGET_CHARS,
    is_sticky,
    pr_number_from_event,
    sticky_body,
    trim_body,
)

BOT = {"login": "github-actions[bot]", "type": "Bot"}


def test_the_marker_comes_first_exactly_once():
    assert sticky_body("## Load test\n") == f"{SUMMARY_MARKER}\n## Load test\n"
    assert sticky_body(f"{SUMMARY_MARKER}\n## Load test\n") == f"{SUMMARY_MARKER}\n## Load test\n"


@pytest.mark.parametrize("length", [0, 1, MAX_COMMENT_CHARS - 1, MAX_COMMENT_CHARS])
def test_bodies_within_the_limit_are_untouched(length):
    assert trim_body("x" * length) == "x" * length


def test_a_body_over_the_limit_is_cut_at_a_line_with_a_note():
    body = "".join(f"| row {i} | {i} ms |\n" for i in range(5000))
    trimmed = trim_body(body)
    assert len(body) > MAX_COMMENT_CHARS
    assert len(trimmed) <= TRIM_TARGET_CHARS
    assert trimmed.endswith(TRIM_NOTE)
    kept = trimmed.removesuffix(TRIM_NOTE)
    assert body.startswith(kept) and kept.endswith("ms |")


def test_a_one_line_giant_is_still_trimmed():
    assert len(trim_body("x" * 100_000)) <= TRIM_TARGET_CHARS


def test_a_code_fence_cut_open_is_closed():
    body = "```text\n" + "log line\n" * 10_000
    trimmed = trim_body(body).removesuffix(TRIM_NOTE)
    assert trimmed.endswith("\n```")


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ({"body": f"{SUMMARY_MARKER}\nx", "user": BOT}, True),
        ({"body": f"\n  {SUMMARY_MARKER}\nx", "user": BOT}, True),
        ({"body": f"{SUMMARY_MARKER}\nx", "user": {"login": "octocat", "type": "User"}}, False),
        ({"body": f"quoting {SUMMARY_MARKER}", "user": BOT}, False),
        ({"body": None, "user": BOT}, False),
        ({"body": f"{SUMMARY_MARKER}"}, False),
    ],
    ids=["ours", "leading-space", "a-person", "marker-not-first", "no-body", "no-user"],
)
def test_is_sticky(comment, expected):
    assert is_sticky(comment) is expected


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
