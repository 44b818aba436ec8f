"""Change points as text: one console line each, and a markdown section for a job summary or an issue.

Endpoint names and commits come from runs a pull request may have shaped (endpoint names) or from
a file a repository imported: endpoint names go through code_span (markdown) or console_text, and a
commit is shown only as 7 to 40 hex digits, else as ``?``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from loadtest.changes.detect import ChangePoint
from loadtest.text.untrusted import code_span, console_text

_HEX = re.compile(r"[0-9a-f]{7,40}")
METRIC_LABELS = {"typical": "typical time", "failure_ratio": "failure ratio"}


def commit(text: str | None) -> str:
    return text[:7] if text and _HEX.fullmatch(text) else "?"


def day(text: str | None) -> str:
    return text[:10] if text and re.fullmatch(r"\d{4}-\d\d-\d\d", text[:10]) else "?"


def values(point: ChangePoint) -> str:
    """``410 ms → 480 ms (+17.1%)``, or ``0.00% → 2.50% (+2.50 points)`` for a failure ratio."""
    if point.metric == "failure_ratio":
        return f"{point.before:.2%} → {point.after:.2%} ({point.change * 100:+.2f} points)"
    return f"{point.before:.1f} ms → {point.after:.1f} ms ({point.change:+.1%})"


def commits(point: ChangePoint) -> str:
    before, after = point.last_before, point.first_after
    return (
        f"{commit(before.commit)} ({day(before.ended_at)}) .. {commit(after.commit)} ({day(after.ended_at)})"
    )


def console_line(point: ChangePoint) -> str:
    return (
        f"{console_text(point.endpoint, limit=120)}: {METRIC_LABELS[point.metric]} {values(point)} "
        f"from {day(point.first_after.ended_at)}, between {commits(point)}; p = {point.pvalue:.1e}; "
        f"{point.runs_before} runs before, {point.runs_after} after"
    )


def title(point: ChangePoint) -> str:
    """An issue's title: the endpoint and the change (the endpoint and the series' preset, which an
    imported history may name, as plain, cut text)."""
    name, preset = (
        console_text(text, limit=limit).replace("@", "@\u200b")
        for text, limit in ((point.endpoint, 80), (point.preset or "?", 40))
    )
    return f"Load test ({preset}): {name} {METRIC_LABELS[point.metric]} {values(point)}"


def markdown(points: Sequence[ChangePoint], *, days: int, runs: int, scope: str = "") -> str:
    """The nightly summary's opening section; ``scope`` replaces "in the last N days" (the issue's)."""
    if not points:
        return f"### Change points\n\nNo change in {days} days ({runs} runs of the long history searched).\n"
    lines = [
        "### Change points",
        "",
        f"{len(points)} change point{'s' if len(points) != 1 else ''} {scope or f'in the last {days} days'} "
        f"({runs} runs of the long history searched):",
        "",
        "| endpoint | metric | before → after | from | commits (last before .. first after) | p |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {code_span(point.endpoint)} | {METRIC_LABELS[point.metric]} | {values(point)} | "
        f"{day(point.first_after.ended_at)} | {commits(point)} | {point.pvalue:.1e} |"
        for point in points
    ]
    return "\n".join(lines) + "\n"
