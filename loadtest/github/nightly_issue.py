"""The nightly issue: one open issue per preset while a change point or tonight's gate fails.

The action's ``nightly-issue: true`` input runs this after the gate, on the schedule and by hand on
the default branch only (never on a pull request, so a fork's code never holds ``issues: write``):

* an *active* change point is a slower (or less reliable) one that is still the last change of its
  endpoint and metric: the series has not come back since;
* with an active change point of the last ``recent_days`` or a failing gate, and no issue yet: one
  is created, titled with the endpoint and the change;
* with an issue open and still something active (however old) or a failing gate: it is updated in
  place (title and body), never duplicated;
* with an issue open and nothing active and the gate not failing: it is closed (the series returned).
  Closing one by hand acknowledges the change: it is opened again only for a new change point.

Ours is the open issue whose body starts with the preset's marker and whose author is the token's
identity (as the sticky comment, loadtest.github.comment). Endpoint names come from runs and pass
through code_span and console_text; the body is sanitised like the comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from loadtest.changes.detect import ChangePoint
from loadtest.changes.render import markdown, title
from loadtest.github.baseline import baseline_artifact_name
from loadtest.github.client import GitHubClient, json_of
from loadtest.github.comment import comment_author
from loadtest.text.untrusted import markdown_text, sanitise_markdown

MARKER = "<!-- amal-loadtest nightly-issue preset={preset} -->"
MAX_TITLE = 256
"""GitHub refuses a longer title (422)."""


@dataclass(frozen=True)
class IssueResult:
    action: str
    """created, updated, unchanged, closed, or none (nothing to report and no issue open)."""
    number: int | None = None
    url: str = ""


def active(points: Sequence[ChangePoint]) -> list[ChangePoint]:
    """The change points that are the last of their series and made it worse."""
    last: dict[tuple[Any, ...], ChangePoint] = {}
    for point in points:
        key = (point.endpoint, point.metric, point.preset, point.target)
        if key not in last or point.run_index > last[key].run_index:
            last[key] = point
    return sorted((p for p in last.values() if p.worse), key=lambda p: abs(p.change), reverse=True)


def marker(preset: str) -> str:
    baseline_artifact_name(preset)  # ValueError unless a preset's name (a-z, 0-9, - and _)
    return MARKER.format(preset=preset)


def issue_title(preset: str, points: Sequence[ChangePoint], verdict: str) -> str:
    if points:
        text = title(points[0])
        more = len(points) - 1
        text += f" (and {more} more)" if more else ""
    else:
        text = f"Load test ({preset}): tonight's gate says {verdict}"
    return text[:MAX_TITLE]


def issue_body(
    preset: str, points: Sequence[ChangePoint], *, verdict: str, days: int, runs: int, run_url: str
) -> str:
    gate = f"Tonight's gate: **{markdown_text(verdict or 'not run')}**."
    where = f" [The run]({run_url})." if run_url else ""
    section = markdown(points, days=days, runs=runs, scope="in force")
    if not points:
        section = "### Change points\n\nNo change point in force: the series returned.\n"
    return f"{marker(preset)}\n{sanitise_markdown(section)}\n{gate}{where}\n"


def find_issue(client: GitHubClient, preset: str, *, author: str) -> dict[str, Any] | None:
    """Our open issue for ``preset``: the marker first, by ``author``; pull requests are not issues."""
    wanted = marker(preset)
    for issue in client.paginate(client.repo_url("issues"), params={"state": "open", "per_page": 100}):
        login = (issue.get("user") or {}).get("login")
        mine = isinstance(login, str) and login.lower() == author.lower()
        if mine and "pull_request" not in issue and (issue.get("body") or "").startswith(wanted):
            return issue
    return None


def sync_issue(
    client: GitHubClient,
    *,
    preset: str,
    in_force: Sequence[ChangePoint],
    recent: Sequence[ChangePoint],
    verdict: str,
    days: int,
    runs: int,
    run_url: str = "",
    author: str | None = None,
) -> IssueResult:
    """Create, update or close the preset's issue (see the module's rules)."""
    author = author or comment_author(client)
    existing = find_issue(client, preset, author=author)
    failing = verdict == "fail"
    body = issue_body(preset, in_force, verdict=verdict, days=days, runs=runs, run_url=run_url)
    heading = issue_title(preset, in_force, verdict)
    if existing is None:
        if not (failing or any(point in in_force for point in recent)):
            return IssueResult("none")
        created = json_of(
            client.request("POST", client.repo_url("issues"), json={"title": heading, "body": body})
        )
        return IssueResult("created", int(created["number"]), str(created.get("html_url", "")))
    number, url = int(existing["number"]), str(existing.get("html_url", ""))
    if not in_force and not failing:
        fields = {"state": "closed", "state_reason": "completed", "body": body}
        client.request("PATCH", client.repo_url(f"issues/{number}"), json=fields)
        return IssueResult("closed", number, url)
    if existing.get("title") == heading and existing.get("body") == body:
        return IssueResult("unchanged", number, url)
    client.request("PATCH", client.repo_url(f"issues/{number}"), json={"title": heading, "body": body})
    return IssueResult("updated", number, url)
