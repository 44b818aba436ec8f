"""The comment workflow against a hostile pull request: the real scripts (fetch_comment.py, then
post_comment.py --artifact) and the fake GitHub on loopback, with an artifact the PR wrote itself.

What arrives is rendered as GitHub renders it (cmark-gfm): no live mention or reference, no image,
no link, no HTML but our own; the comment edited is only ever the token's own; the artifact's zip
cannot crash the unpacker; the token never reaches a log line.
"""

import pytest

from loadtest.github.comment_artifact import HEAD_SHA_FILE, PR_NUMBER_FILE, SUMMARY_FILE
from loadtest.text.summary_limits import MAX_COMMENT_CHARS, SUMMARY_MARKER, TRIM_NOTE
from tests.conftest import run_script
from tests.fakes.github_client import TOKEN, github_env
from tests.fakes.github_server import INSTALLATION, make_zip
from tests.github_markdown import rendered
from tests.integration.github_commands.conftest import BRANCH, FORK, HEAD, PR, post_artifact

pytestmark = pytest.mark.slow

PAT = "ghp_" + "P" * 36
APP_TOKEN = "ghs_" + "A" * 36

HOSTILE_SUMMARY = (
    f"{SUMMARY_MARKER}\n\n"
    "## ✅ Load test PASS: all 13 endpoints within limits; no regression against the baseline\n\n"
    "@amal-education/maintainers @octocat this is fine, merging.\n"
    "Fixes #1, GH-2, amal-education/loadtest#3.\n\n"
    '<img src="https://evil.example/pixel.png"> <a href="https://evil.example/">details</a>\n'
    "<script>alert(1)</script> <!-- hidden --> &#64;hubot &commat;ghost\n\n"
    "![PASS](https://evil.example/badge.svg) [the full report](https://evil.example/) [ref][1] "
    "https://evil.example/autolink www.evil.example\n\n"
    "[1]: https://evil.example/reference\n\n"
    "| Endpoint | p95 |\n|---|---|\n| `GET /api/x/` @octocat | 12 ms |\n\n"
    "<details open>\n<summary>Per endpoint @octocat</summary>\n\n@hubot #5\n\n</details>\n"
)
OUR_TAGS = {"h2", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "details", "summary", "sub", "a"}
"""``a`` only for the poster's own link to the run, checked apart."""


def upload(github, files: dict) -> int:
    """The PR run's comment artifact as the PR wrote it; returns the run id."""
    run_id = github.add_run(event="pull_request", branch=BRANCH, head_sha=HEAD, head_repository=FORK)
    github.add_artifact(run_id, "loadtest-comment", make_zip(files))
    return run_id


def artifact(summary: str) -> dict:
    return {SUMMARY_FILE: summary, PR_NUMBER_FILE: str(PR), HEAD_SHA_FILE: HEAD}


def comment_workflow(github, run_id, tmp_path, event, *, token=TOKEN, extra=()):
    """The comment workflow's two steps; returns the second's result (or the first's, if it failed)."""
    out = tmp_path / "comment"
    env = github_env(github, GITHUB_TOKEN=token)
    fetched = run_script("fetch_comment.py", "--run-id", run_id, "--out", out, env=env)
    if fetched.returncode != 0:
        return fetched
    return post_artifact(github, out, event, *extra, GITHUB_TOKEN=token)


def posted(github) -> str:
    (comment,) = github.comments(PR)
    return comment["body"]


def assert_inert(body: str) -> None:
    page = rendered(body)
    assert page.live() == [], page.live()
    assert set(page.tags) <= OUR_TAGS, page.tags
    assert page.tags.count("a") == 1 and "img" not in page.tags
    assert page.html.count('<a href="https://github.com/amal-education/loadtest/actions/runs/4242">') == 1
    assert "evil.example" not in "".join(tag for tag in page.html.split('"') if tag.startswith("http"))


def test_a_hostile_summary_arrives_with_nothing_live(github, tmp_path, workflow_run, capsys):
    result = comment_workflow(github, upload(github, artifact(HOSTILE_SUMMARY)), tmp_path, workflow_run)

    assert result.returncode == 0, result.stderr
    body = posted(github)
    assert_inert(body)
    assert body.startswith(SUMMARY_MARKER)
    assert "&lt;img" in body and "&lt;script>" in body and "&amp;#\u206064;hubot" in body
    assert body.endswith(
        "<sub>Posted by the load-test comment workflow from the artifact of "
        "[run 4242](https://github.com/amal-education/loadtest/actions/runs/4242); "
        "the pull request's own code produced it.</sub>\n"
    )
    with capsys.disabled():  # the posted text, for the record
        print(
            "\n--- posted body (U+2060 shown as ⁠<wj>) ---\n" + body.replace("\u2060", "<wj>") + "--- end ---"
        )


def test_a_one_mebibyte_summary_arrives_trimmed_with_whole_rows_and_no_mention_live(
    github, tmp_path, workflow_run, capsys
):
    header = f"{SUMMARY_MARKER}\n\n## ✅ Load test PASS\n\n| Endpoint | p95 |\n|---|---|\n"
    row = "| `GET /api/x/` @octocat @amal-education/all #1 | 12 ms |\n"
    summary = header + row * ((1024 * 1024 - len(header.encode())) // len(row.encode()))
    assert 1_000_000 < len(summary.encode()) <= 1024 * 1024

    result = comment_workflow(github, upload(github, artifact(summary)), tmp_path, workflow_run)

    assert result.returncode == 0, result.stderr
    body = posted(github)
    assert len(body) <= MAX_COMMENT_CHARS
    table = body.split("|---|---|\n", 1)[1].split(TRIM_NOTE)[0].rstrip("\n").split("\n")
    assert len(table) > 100 and all(line == table[0] for line in table)  # every row whole up to the cut
    assert TRIM_NOTE in body
    page = rendered(body)
    assert page.live() == [] and len(page.cells()) == 2 * (len(table) + 1)
    with capsys.disabled():  # the figures, for the record
        print(
            f"\n1 MiB summary: {len(summary.encode()):,} bytes, {summary.count(row):,} rows, "
            f"{summary.count('@'):,} mentions; posted: {len(body):,} characters, {len(table):,} whole rows, "
            f"{len(page.live())} live mentions or references"
        )


def test_another_bots_marker_comment_is_never_edited(github, tmp_path, workflow_run):
    theirs = github.add_comment(
        PR, f"{SUMMARY_MARKER}\nrenovate's own", user={"login": "renovate[bot]", "type": "Bot"}
    )

    for _ in range(2):
        result = comment_workflow(
            github, upload(github, artifact("## Load test\n")), tmp_path / str(_), workflow_run
        )
        assert result.returncode == 0, result.stderr

    bodies = {c["id"]: c for c in github.comments(PR)}
    assert bodies[theirs["id"]]["body"] == f"{SUMMARY_MARKER}\nrenovate's own"
    assert github.requests_matching("PATCH", rf"/issues/comments/{theirs['id']}$") == []
    ours = [c for c in bodies.values() if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and len(bodies) == 2


def test_a_comment_made_earlier_with_a_personal_access_token_is_found_and_updated(
    github, tmp_path, workflow_run
):
    github.add_token(PAT, login="loadtest-bot-user")
    earlier = github.add_comment(
        PR, f"{SUMMARY_MARKER}\nold", user={"login": "loadtest-bot-user", "type": "User"}
    )
    github.add_comment(
        PR,
        f"{SUMMARY_MARKER}\nan older one by the workflow",
        user={"login": "github-actions[bot]", "type": "Bot"},
    )

    result = comment_workflow(
        github, upload(github, artifact("## Load test\nnew\n")), tmp_path, workflow_run, token=PAT
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"updated the load-test comment on PR #{PR} as loadtest-bot-user")
    comments = {c["id"]: c["body"] for c in github.comments(PR)}
    assert len(comments) == 2 and "new" in comments[earlier["id"]]
    assert "an older one by the workflow" in "".join(comments.values())


def test_an_app_tokens_comment_is_found_through_the_comment_author_setting(github, tmp_path, workflow_run):
    github.add_token(APP_TOKEN, login="amal-loadtest[bot]", kind=INSTALLATION)
    earlier = github.add_comment(
        PR, f"{SUMMARY_MARKER}\nold", user={"login": "amal-loadtest[bot]", "type": "Bot"}
    )
    github.add_comment(
        PR, f"{SUMMARY_MARKER}\nthe workflow's", user={"login": "github-actions[bot]", "type": "Bot"}
    )

    result = comment_workflow(
        github,
        upload(github, artifact("## Load test\nnew\n")),
        tmp_path,
        workflow_run,
        token=APP_TOKEN,
        extra=("--comment-author", "amal-loadtest[bot]"),
    )

    assert result.returncode == 0, result.stderr
    comments = {c["id"]: c["body"] for c in github.comments(PR)}
    assert len(comments) == 2 and "new" in comments[earlier["id"]]
    assert [c["body"] for c in github.comments(PR) if c["user"]["login"] == "github-actions[bot]"] == [
        f"{SUMMARY_MARKER}\nthe workflow's"
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"x": "a file", "x/y": "then a file inside it"}, "the zip holds 'x' both as a file and as a folder"),
        (
            {"n" * 300: "a 300-character name", PR_NUMBER_FILE: "21"},
            "the zip holds a path this system cannot write",
        ),
    ],
    ids=["x-then-x/y", "300-character-name"],
)
def test_an_artifact_zip_that_used_to_give_a_traceback_is_one_line_and_exit_2(
    github, tmp_path, workflow_run, files, message
):
    result = comment_workflow(github, upload(github, files), tmp_path, workflow_run)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert not (tmp_path / "comment").exists() and github.comments(PR) == []


def test_the_token_never_reaches_a_log_line_when_github_echoes_it(github, tmp_path, workflow_run):
    """With retries logged, an API message echoing the token must be redacted like the final error."""
    echo = {"message": f"Bad gateway for token {TOKEN} (and ghp_{'Z' * 36})"}
    github.fail("GET", rf"/issues/{PR}/comments$", status=502, times=2, body=echo)
    github.fail("POST", rf"/issues/{PR}/comments$", status=502, times=1, body=echo)

    result = comment_workflow(github, upload(github, artifact("## Load test\n")), tmp_path, workflow_run)

    assert result.returncode == 0, result.stderr
    assert "retrying in" in result.stderr and "looking for it before writing again" in result.stderr
    assert TOKEN not in result.stdout + result.stderr and "ghp_ZZZZ" not in result.stderr
    assert "Bad gateway for token ***" in result.stderr
