"""The sticky PR comment: one summary comment per pull request, updated in place on every push.

The comment is recognised by ``SUMMARY_MARKER`` at the start of its body and a bot
author (``github-actions[bot]`` for the workflow token), so a person quoting the
marker is never overwritten. A POST that may or may not have landed (timeout, 5xx)
is never simply repeated: the comments are listed again and an existing sticky
comment is updated instead, so a retry cannot leave two.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from loadtest.github.client import AmbiguousWriteError, GitHubClient, GitHubError, json_of
from loadtest.summary_limits import SUMMARY_MARKER, fit_comment

BOT_USER_TYPE = "Bot"
MAX_WRITE_ATTEMPTS = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommentResult:
    action: str
    """``created``, ``updated``, or ``unchanged`` when the body was already the same."""
    comment_id: int
    url: str


def sticky_body(summary: str) -> str:
    """The comment body: the marker first, then the summary, within GitHub's limit.

    The gate's summaries already fit; a summary from anywhere else (the artifact is the PR's
    to write) is cut with a note rather than refused by GitHub with a 422.
    """
    body = summary if summary.lstrip().startswith(SUMMARY_MARKER) else f"{SUMMARY_MARKER}\n{summary}"
    return fit_comment(body)


def is_sticky(comment: dict[str, Any]) -> bool:
    body = comment.get("body") or ""
    user = comment.get("user") or {}
    return body.lstrip().startswith(SUMMARY_MARKER) and user.get("type") == BOT_USER_TYPE


def find_sticky_comment(client: GitHubClient, pr_number: int) -> dict[str, Any] | None:
    """The earliest sticky comment on the PR, looking through every page of comments."""
    comments = client.paginate(client.repo_url(f"issues/{pr_number}/comments"), params={"per_page": 100})
    return next((comment for comment in comments if is_sticky(comment)), None)


def post_sticky_comment(
    client: GitHubClient, *, pr_number: int, summary: str, max_write_attempts: int = MAX_WRITE_ATTEMPTS
) -> CommentResult:
    """Update the PR's sticky comment in place, or create it; writes go one at a time."""
    body = sticky_body(summary)
    last_error: GitHubError | None = None
    for _ in range(max_write_attempts):
        existing = find_sticky_comment(client, pr_number)
        if existing is not None:
            return _update(client, existing, body)
        try:
            created = json_of(
                client.request("POST", client.repo_url(f"issues/{pr_number}/comments"), json={"body": body})
            )
        except AmbiguousWriteError as exc:
            # it may have landed: list again rather than risk a second comment
            log.info("%s; looking for it before writing again", exc)
            last_error = exc
            continue
        return CommentResult("created", int(created["id"]), str(created.get("html_url", "")))
    raise GitHubError(f"could not post the comment in {max_write_attempts} attempts; last: {last_error}")


def pr_number_from_event(event: dict[str, Any]) -> int | None:
    """``pull_request.number`` of a pull_request event; None for other events.

    For ``workflow_run`` the number comes from the validated comment artifact instead:
    the event's own ``pull_requests`` list is empty for forks.
    """
    pull_request = event.get("pull_request")
    number = pull_request.get("number") if isinstance(pull_request, dict) else None
    return number if isinstance(number, int) and not isinstance(number, bool) and number > 0 else None


def _update(client: GitHubClient, existing: dict[str, Any], body: str) -> CommentResult:
    comment_id = int(existing["id"])
    if existing.get("body") == body:
        return CommentResult("unchanged", comment_id, str(existing.get("html_url", "")))
    updated = json_of(
        client.request("PATCH", client.repo_url(f"issues/comments/{comment_id}"), json={"body": body})
    )
    return CommentResult("updated", comment_id, str(updated.get("html_url", "")))
