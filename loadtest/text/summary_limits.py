"""What makes a summary a PR comment: the marker it starts with, the length it may have, one way to cut it.

Shared by the gate, which writes the summary, and the GitHub side, which posts it. The gate
renders within MAX_SUMMARY_CHARS by leaving the least important rows out, so a summary it wrote
never needs cutting. The GitHub side posts whatever text it is handed (a fork's artifact, a
hand-written file), so it passes that text through ``fit_comment`` against GitHub's own limit:
a no-op for the gate's summaries, a cut with a note for anything longer.
"""

from __future__ import annotations

from loadtest.text.markdown_blocks import closing_markup

SUMMARY_MARKER = "<!-- amal-loadtest-summary -->"
"""First line of every summary: the PR-comment step finds (and updates) its comment by it."""

MAX_COMMENT_CHARS = 65_536
"""GitHub answers 422 to a longer comment body."""

MAX_SUMMARY_CHARS = 60_000
"""What the gate renders to, and what a cut text aims at: well under MAX_COMMENT_CHARS, so the
marker the comment step may add in front never pushes a summary over GitHub's limit."""

TRIM_NOTE = (
    "\n\n> [!NOTE]\n"
    "> This summary was trimmed to fit in a GitHub comment. "
    "The full verdict is in verdict.json in the run's results artifact.\n"
)
FENCE_RESERVE = len("\n```")
"""Characters kept free for the line that closes a fence the cut left open (a longer fence than three
backticks takes a cut text past ``target`` by its extra length, still well within ``limit``)."""


def fit_comment(text: str, *, limit: int = MAX_COMMENT_CHARS, target: int = MAX_SUMMARY_CHARS) -> str:
    """``text`` itself when it has at most ``limit`` characters; otherwise its start, cut at a line
    break before ``target`` (an open code fence closed), followed by TRIM_NOTE, ``target`` in all."""
    if len(text) <= limit:
        return text
    room = max(0, target - len(TRIM_NOTE) - FENCE_RESERVE)
    cut = text[:room]
    line_break = cut.rfind("\n")
    if (
        line_break > room // 2
    ):  # a cut mid-line reads as a broken row; a line half the text long is cut anyway
        cut = cut[:line_break]
    fence = closing_markup(cut, tags=False)
    return cut + (f"\n{fence}" if fence else "") + TRIM_NOTE
