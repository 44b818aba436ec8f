"""The provenance line of the PR comment stays the last line a reader sees, whatever the summary leaves
open: rendered by cmark-gfm as GitHub renders it, it is outside every <details>, fence and <sub>."""

from __future__ import annotations

import pytest

from loadtest.github.comment import sticky_body
from loadtest.text.summary_limits import MAX_COMMENT_CHARS, SUMMARY_MARKER
from loadtest.text.untrusted import sanitise_markdown
from tests.github_markdown import rendered

PROVENANCE = (
    "<sub>Posted by the load-test comment workflow from the artifact of run 7; "
    "the pull request's own code produced it.</sub>"
)
POSTED_BY = "Posted by the load-test comment workflow from the artifact of run 7"
FAKE = "<sub>Posted by the load-test comment workflow from the artifact of run 1; all checked.</sub>"

OPEN_ENDINGS = {
    "open-details": f"## PASS\n\n{FAKE}\n\n<details>\n<summary>More</summary>\n\nhidden",
    "open-details-open": "## PASS\n\n<details open>\n<summary>x</summary>\n\nrow",
    "nested-details": "<details>\n<summary>a</summary>\n\n<details>\n<summary>b\n\n<details>\n\nx",
    "open-summary": "<details>\n<summary>a",
    "open-sub": "text <sub>small",
    "backtick-fence": "## PASS\n\n```text\ncode",
    "tilde-fence": "## PASS\n\n~~~~\ncode\n~~~",
    "long-fence": "``````````\n```\nstill code",
    "fence-in-details": "<details>\n<summary>a</summary>\n\n```\ncode",
    "fence-inside-html-block": "<details>\n```\nraw html text\n\nafter",
    "fence-in-list-item": "- item\n\n  ```\n  code\n  ```\nlazy\n\n  ```\n",
    "fence-in-quote": "> ```\n> code",
    "indented-fence": "   ```\ncode",
    "over-the-limit": "<details>\n<summary>a</summary>\n\n" + "| row |\n" * 20_000,
    "over-the-limit-in-fence": "```\n" + "line\n" * 20_000,
}


def provenance_enclosing(body: str) -> tuple[str, ...]:
    page = rendered(body)
    found = [(text, tags) for text, tags in page.enclosing if POSTED_BY in text]
    assert len(found) == 1, f"the provenance line is not one text node: {found}"
    assert page.enclosing[-1][0] == found[0][0], "the provenance is not the last text a reader sees"
    return found[0][1]


@pytest.mark.parametrize("ending", list(OPEN_ENDINGS.values()), ids=list(OPEN_ENDINGS))
def test_the_provenance_is_outside_whatever_the_summary_left_open(ending):
    body = sticky_body(f"{SUMMARY_MARKER}\n{ending}", provenance=PROVENANCE)

    enclosing = provenance_enclosing(body)

    assert len(body) <= MAX_COMMENT_CHARS
    assert set(enclosing) <= {"p", "sub"} and enclosing.count("sub") == 1, enclosing
    assert body.endswith(f"\n{PROVENANCE}\n")


def test_a_summary_that_closes_what_it_opens_comes_out_as_it_was():
    summary = f"{SUMMARY_MARKER}\n<details>\n<summary>a</summary>\n\n```mermaid\nx\n```\n\n</details>\n"

    body = sticky_body(summary, provenance=PROVENANCE)

    assert body == f"{summary.rstrip()}\n\n{PROVENANCE}\n"


@pytest.mark.parametrize(
    ("line", "shown"),
    [("  ```", "  \\```"), ("- ```", "- \\```"), ("> ~~~", "> \\~~~"), ("1. ```", "1. \\```")],
)
def test_a_fence_that_may_not_be_one_is_made_text(line, shown):
    assert sanitise_markdown(f"a\n\n{line}\nb") == f"a\n\n{shown}\nb"
