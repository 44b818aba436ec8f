"""The nightly issue on the fake GitHub (a real HTTP server on loopback): ``loadtest changes --issue``
over three nights of a history with a step: created once, updated (not duplicated) the next night,
closed when the series returns; a pull request and others' issues are never taken for ours."""

import pytest

from loadtest.cli import changes as changes_cli
from loadtest.gate.long_history import LONG_HISTORY, LongHistory, dumps
from loadtest.github.nightly_issue import marker
from tests.synthetic_history import STEP_ENDPOINT, Effect, nightly_history

pytestmark = pytest.mark.slow


def night(tmp_path, github, history: LongHistory, *, number: int, verdict: str = "pass", capsys=None) -> str:
    baseline = tmp_path / f"night-{number}"
    baseline.mkdir()
    (baseline / LONG_HISTORY).write_text(dumps(history), encoding="utf-8")
    summary = tmp_path / f"summary-{number}.md"
    env = {
        **github.environ(),
        "GITHUB_RUN_ID": str(9000 + number),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_ACTIONS": "true",
    }
    argv = [str(baseline), "--step-summary", "--issue", "--preset", "medium", "--verdict", verdict]
    assert changes_cli.main(argv, environ=env) == 0
    return summary.read_text(encoding="utf-8")


def returned(history: LongHistory, runs: int) -> LongHistory:
    """``history`` with ``runs`` more nights back at the speed before the step."""
    back = nightly_history(1, runs=len(history) + runs).runs[len(history) :]
    return LongHistory(runs=history.runs + back)


def ours(github):
    return [issue for issue in github.issues() if issue["body"].startswith(marker("medium"))]


def test_one_issue_is_created_updated_then_closed_when_the_series_returns(tmp_path, github, capsys):
    stepped = nightly_history(1, runs=300, effect=Effect(size=0.08, start=290))

    summary = night(tmp_path, github, stepped, number=1)
    assert summary.startswith("### Change points\n\n1 change point in the last 30 days")
    assert "`GET /api/dashboard/` | typical time" in summary
    (issue,) = ours(github)
    assert issue["state"] == "open" and STEP_ENDPOINT in issue["title"] and "typical time" in issue["title"]
    assert "+" in issue["title"] and "%" in issue["title"]
    out = capsys.readouterr().out
    assert "::warning::GET /api/dashboard/: typical time" in out and "nightly issue #" in out
    assert out.rstrip().endswith(": created")

    longer = LongHistory(runs=nightly_history(1, runs=301, effect=Effect(size=0.08, start=290)).runs)
    night(tmp_path, github, longer, number=2)
    (again,) = ours(github)
    assert again["number"] == issue["number"] and again["state"] == "open"
    assert "actions/runs/9002" in again["body"] and capsys.readouterr().out.rstrip().endswith(": updated")
    assert len(github.requests_matching("POST", r"/issues$")) == 1

    night(tmp_path, github, returned(longer, 10), number=3)
    (closed,) = ours(github)
    assert closed["number"] == issue["number"] and closed["state"] == "closed"
    assert "the series returned" in closed["body"]
    assert capsys.readouterr().out.rstrip().endswith(": closed")


def test_no_change_and_a_passing_gate_open_nothing(tmp_path, github, capsys):
    summary = night(tmp_path, github, nightly_history(101), number=1)
    assert summary.startswith("### Change points\n\nNo change in 30 days (300 runs")
    assert github.issues() == [] and capsys.readouterr().out.rstrip().endswith("nightly issue: none")


def test_a_failing_gate_opens_the_issue_without_a_change_point(tmp_path, github):
    night(tmp_path, github, nightly_history(101), number=1, verdict="fail")
    (issue,) = ours(github)
    assert issue["title"] == "Load test (medium): tonight's gate says fail"


def test_an_old_change_opens_nothing_but_keeps_an_open_issue_open(tmp_path, github):
    old_step = nightly_history(1, runs=300, effect=Effect(size=0.08, start=200))
    night(tmp_path, github, old_step, number=1)
    assert github.issues() == []  # 100 nights old: not news
    night(tmp_path, github, nightly_history(1, runs=300, effect=Effect(size=0.08, start=290)), number=2)
    night(
        tmp_path,
        github,
        LongHistory(runs=nightly_history(1, runs=340, effect=Effect(size=0.08, start=290)).runs),
        number=3,
    )
    (issue,) = ours(github)
    assert issue["state"] == "open"  # 50 nights on, still slower: still open


def test_an_issue_with_our_marker_by_someone_else_is_not_ours(tmp_path, github):
    other = github.add_token("person-token", login="mallory") or "person-token"
    import requests

    requests.post(
        f"{github.url}/repos/{github.repository}/issues",
        json={"title": "bait", "body": marker("medium")},
        headers={"Authorization": f"Bearer {other}"},
        timeout=10,
    )
    night(tmp_path, github, nightly_history(1, runs=300, effect=Effect(size=0.08, start=290)), number=1)
    bait, created = sorted(ours(github), key=lambda issue: issue["number"])
    assert bait["title"] == "bait" and bait["state"] == "open"
    assert created["user"]["login"] == "github-actions[bot]"
