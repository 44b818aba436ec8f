"""The markdown the summary's tables share: a GitHub table without padding, a folded section, and
the marks of a flagged cell."""

from __future__ import annotations

from collections.abc import Sequence

MARKS = {"fail": "❌", "warn": "⚠️"}


def compact_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub table without padding: it renders the same, and padding spaces only cost characters."""
    lines = [_table_line(headers), _table_line(["-"] * len(headers))]
    lines += [_table_line(row) for row in rows]
    return "\n".join(lines)


def _table_line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cell or " " for cell in cells) + " |"


def details(summary: str, body: str) -> str:
    """A folded section: ``summary`` shown, ``body`` under it."""
    return f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n</details>"
