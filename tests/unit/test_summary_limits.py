"""fit_comment, the one way a summary is cut to GitHub's comment limit (gate and GitHub side alike)."""

import pytest

from loadtest.text.summary_limits import MAX_COMMENT_CHARS, MAX_SUMMARY_CHARS, TRIM_NOTE, fit_comment


@pytest.mark.parametrize("length", [0, 1, MAX_COMMENT_CHARS - 1, MAX_COMMENT_CHARS])
def test_bodies_within_the_limit_are_untouched(length):
    assert fit_comment("x" * length) == "x" * length


def test_a_body_over_the_limit_is_cut_at_a_line_with_a_note():
    body = "".join(f"| row {i} | {i} ms |\n" for i in range(5000))
    trimmed = fit_comment(body)
    assert len(body) > MAX_COMMENT_CHARS
    assert len(trimmed) <= MAX_SUMMARY_CHARS
    assert trimmed.endswith(TRIM_NOTE)
    kept = trimmed.removesuffix(TRIM_NOTE)
    assert body.startswith(kept) and kept.endswith("ms |")


def test_a_one_line_giant_is_still_trimmed():
    assert len(fit_comment("x" * 100_000)) <= MAX_SUMMARY_CHARS


def test_a_code_fence_cut_open_is_closed():
    body = "```text\n" + "log line\n" * 10_000
    trimmed = fit_comment(body).removesuffix(TRIM_NOTE)
    assert trimmed.endswith("\n```")


ROWS = "".join(f"row {i}\n" for i in range(100))
"""690 characters: rows 0 to 9 take 6 each, rows 10 to 99 take 7."""
ROOM = -len(TRIM_NOTE) - len("\n```")
"""What a cut text keeps, relative to its target: the note and a closing fence must fit too."""


def through(row: int) -> str:
    """ROWS up to and including ``row``, without its line break."""
    return ROWS[: ROWS.index(f"row {row + 1}\n") - 1]


@pytest.mark.parametrize(
    ("text", "limit", "target", "kept"),
    [
        (ROWS, 690, 690, None),  # exactly at the limit: untouched
        (ROWS, 689, 689, through(79)),  # 689 + ROOM = 551 characters: rows 0-79 are 550 with their breaks
        (ROWS, 600, 400, through(37)),  # cut to the target, not the limit: 262 characters, rows 0-37 are 256
        ("x" * 700, 689, 689, "x" * (689 + ROOM)),  # no line break: cut mid-line
        (ROWS, 10, 10, ""),  # a target smaller than the note keeps nothing but the note
    ],
    ids=["at-limit", "last-whole-line", "to-target", "one-line", "tiny-target"],
)
def test_fit_comment(text, limit, target, kept):
    fitted = fit_comment(text, limit=limit, target=target)
    assert fitted == (text if kept is None else kept + TRIM_NOTE)
