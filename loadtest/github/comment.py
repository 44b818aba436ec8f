"""The sticky PR comment: one summary comment per pull request, updated in place on every push.

The comment is ours when its body starts with ``SUMMARY_MARKER`` and its author is the identity
of the token in use (``comment_author``): a comment by anyone else is never edited, whatever its
body, be it a person quoting the marker or another app's bot. A POST that may or may not have
landed (timeout, 5xx) is never simply repeated: the comments are listed again and an existing
sticky comment is updated instead, so a retry cannot leave two.

The summary is untrusted (the comment artifact is the pull request's to write), so the body is
sanitised before it is posted (loadtest.text.untrusted.sanitise_markdown) and fitted to GitHub's limit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from loadtest.github.client import AmbiguousWriteError, GitHubClient, GitHubError, json_of
from loadtest.text.markdown_blocks import closing_markup
from loadtest.text.summary_limits import MAX_COMMENT_CHARS, MAX_SUMMARY_CHARS, SUMMARY_MARKER, fit_comment
from loadtest.text.untrusted import sanitise_markdown

WORKFLOW_BOT = "github-actions[bot]"
"""Who comments with the workflow's own token (GITHUB_TOKEN)."""
NOT_A_USER = "Resource not accessible by integration"
"""GitHub's answer to GET /user with an installation token: the workflow's or a GitHub App's."""
MAX_WRITE_ATTEMPTS = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommentResult:
    action: str
    """``created``, ``updated``, or ``unchanged`` when the body was already the same."""
    comment_id: int
    url: str


def comment_author(client: GitHubClient, *, app_login: str = "") -> str:
    """The login whose comments are ours: the identity of the token in use.

    - A personal access token (``ghp_``, ``github_pat_``), or any token GET /user answers: its login.
    - The workflow's token: GET /user answers 403 "Resource not accessible by integration", and
      its comments are ``github-actions[bot]``'s.
    - A GitHub App's installation token answers the same 403 and cannot learn its app's slug:
      its bot login, ``<app-slug>[bot]``, is ``app_login`` (--comment-author, LOADTEST_COMMENT_AUTHOR).
    """
    try:
        user = client.get_json(f"{client.settings.api_url}/user")
    except GitHubError as exc:
        if exc.status == 403 and NOT_A_USER in str(exc):
            return app_login or WORKFLOW_BOT
        raise
    login = user.get("login") if isinstance(user, dict) else None
    if not isinstance(login, str) or not login:
        raise GitHubError("GET /user: the answer names no login")
    return login


def sticky_body(summary: str, *, provenance: str = "") -> str:
    """The comment body: the sanitised summary with the marker first, within GitHub's limit, then
    ``provenance`` (the poster's own line, never cut) as the last line a reader sees.

    The gate's summaries already fit and come out of the sanitiser unchanged; a summary from
    anywhere else is made inert, and cut with a note rather than refused by GitHub with a 422.
    Whatever the summary left open (a code fence, a ``<details>`` that would fold the provenance
    away, a ``<sub>``) is closed before the provenance.
    """
    text = sanitise_markdown(summary)
    body = text if text.lstrip().startswith(SUMMARY_MARKER) else f"{SUMMARY_MARKER}\n{text}"
    if not provenance:
        return fit_comment(body)
    footer = f"\n\n{provenance}\n"
    room = MAX_COMMENT_CHARS - len(footer)
    while True:
        fitted = fit_comment(body, limit=room, target=min(room, MAX_SUMMARY_CHARS - len(footer)))
        closers = closing_markup(fitted)
        closed = f"{fitted.rstrip(chr(10))}\n\n{closers}" if closers else fitted.rstrip("\n")
        if len(closed) + len(footer) <= MAX_COMMENT_CHARS or room <= 0:
            return closed + footer
        room -= len(closed) + len(footer) - MAX_COMMENT_CHARS  # the closers need the room: cut more


def is_sticky(comment: dict[str, Any], *, author: str) -> bool:
    """Our sticky comment: the marker first, written by ``author`` (logins compare case-insensitively)."""
    body = comment.get("body") or ""
    login = (comment.get("user") or {}).get("login")
    mine = isinstance(login, str) and login.lower() == author.lower()
    return mine and body.lstrip().startswith(SUMMARY_MARKER)


def find_sticky_comment(client: GitHubClient, pr_number: int, *, author: str) -> dict[str, Any] | None:
    """The earliest sticky comment of ``author`` on the PR, looking through every page of comments."""
    comments = client.paginate(client.repo_url(f"issues/{pr_number}/comments"), params={"per_page": 100})
    return next((comment for comment in comments if is_sticky(comment, author=author)), None)


def post_sticky_comment(
    client: GitHubClient,
    *,
    pr_number: int,
    summary: str,
    author: str | None = None,
    provenance: str = "",
    max_write_attempts: int = MAX_WRITE_ATTEMPTS,
) -> CommentResult:
    """Update the PR's sticky comment in place, or create it; writes go one at a time.

    ``author``: whose comment is ours, by default the token's identity (``comment_author``).
    """
    author = author or comment_author(client)
    body = sticky_body(summary, provenance=provenance)
    last_error: GitHubError | None = None
    for _ in range(max_write_attempts):
        existing = find_sticky_comment(client, pr_number, author=author)
        if existing is not None:
            return _update(client, existing, body)
        try:
            created = json_of(
                client.request("POST", client.repo_url(f"issues/{pr_number}/comments"), json={"body": body})
            )
        except AmbiguousWriteError as exc:
            # it may have landed: list again rather than risk a second comment
            client.log("%s; looking for it before writing again", exc)
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
