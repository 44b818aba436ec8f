"""What a markdown text leaves open at its end (a code fence, a ``<details>``), and how to close it.

Text appended after a summary (the comment poster's provenance line) must not land inside a fence
or a collapsed ``<details>`` the summary left open. Telling whether a fence is open takes a
CommonMark parser in general: a fence line inside a list item, a block quote or an HTML block is no
top-level fence. So the summary is first made plain (``plain_fences``): a fence line is kept only
where it is unambiguous, at the start of a line, outside any HTML block; any other line that starts
like a fence gets a backslash, which makes it text everywhere. After that, ``closing_markup``'s
reading of the fences is CommonMark's, and what it returns closes everything: after it and a blank
line, text is outside every fence, ``<details>``, ``<summary>`` and ``<sub>``.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)")
_FENCE_ANYWHERE = re.compile(r"(?P<lead>[ \t>]*(?:(?:[-*+]|[0-9]{1,9}[.)])[ \t>]+)*)(?P<fence>```|~~~)")
"""A line that starts like a fence, maybe inside block quotes and list items."""
_HTML_LINE = re.compile(r" {0,3}<")
"""A line that may start an HTML block (in which a fence line is text) up to the next blank line."""
_CLOSABLE_TAG = re.compile(r"<(/?)(details|summary|sub)(?: open)?>")
"""The HTML tags a summary may write that hold what follows them (loadtest.text.untrusted.ALLOWED_TAGS)."""


def plain_fences(markdown: str) -> str:
    """``markdown`` with a backslash before every fence that is not an unambiguous top-level one."""
    lines, _ = _scan(markdown)
    return "\n".join(_escaped(line) if role == "ambiguous" else line for line, role in lines)


def closing_markup(markdown: str, *, tags: bool = True) -> str:
    """What closes everything ``markdown`` (made plain by ``plain_fences``) left open: the fence, then,
    with ``tags``, each open ``<details>``, ``<summary>`` and ``<sub>``, innermost first; "" if none."""
    lines, fence = _scan(markdown)
    opened: list[str] = []
    for line, role in lines:
        for tag in _CLOSABLE_TAG.finditer(line) if role in ("text", "ambiguous") else ():
            closing, name = tag.groups()
            if not closing:
                opened.append(name)
            elif name in opened:  # a closing tag closes its element and any left open inside it
                del opened[len(opened) - 1 - opened[::-1].index(name) :]
    closers = [fence] if fence else []
    if tags:
        closers += [f"</{name}>" for name in reversed(opened)]
    return "\n".join(closers)


def _scan(markdown: str) -> tuple[list[tuple[str, str]], str]:
    """Each line with its role (``code`` inside a fence, ``fence``, ``ambiguous``: starts like a fence
    where it may not be one, ``text``), and the fence still open at the end ("" if none)."""
    roles: list[tuple[str, str]] = []
    fence = ""
    in_html = False
    for line in markdown.split("\n"):
        if fence:
            closes = _closes(line, fence)
            fence = "" if closes else fence
            roles.append((line, "fence" if closes else "code"))
            continue
        role = "text"
        if not line.strip():
            in_html = False
        elif _HTML_LINE.match(line):
            in_html = True
        elif (found := _FENCE.fullmatch(line)) and not in_html and not found["indent"] and _opens(found):
            fence, role = found["fence"], "fence"
        elif _FENCE_ANYWHERE.match(line):
            role = "ambiguous"
        roles.append((line, role))
    return roles, fence


def _escaped(line: str) -> str:
    found = _FENCE_ANYWHERE.match(line)
    assert found is not None
    return f"{found['lead']}\\{line[found.end('lead') :]}"


def _opens(found: re.Match[str]) -> bool:
    """A fence opens a code block unless a backtick fence's info string holds a backtick (then it is
    an inline code span)."""
    return not (found["fence"][0] == "`" and "`" in found["info"])


def _closes(line: str, fence: str) -> bool:
    """CommonMark's closing fence: up to 3 spaces, the same character at least as many times, nothing
    but spaces after."""
    found = _FENCE.fullmatch(line)
    return bool(
        found
        and found["fence"][0] == fence[0]
        and len(found["fence"]) >= len(fence)
        and not found["info"].strip()
    )
