"""How GitHub renders a comment, for tests: cmark-gfm (GitHub's own fork of cmark, through cmarkgfm)
with its extensions (tables, autolinks, strikethrough), raw HTML passed through as GitHub passes it
to its sanitiser. ``rendered`` gives what a reader would see: the tags, the links, the text nodes.

A mention or a reference is live when a text node outside code holds ``@name``, ``#123`` or
``GH-123`` (GitHub links those after rendering, in text nodes, character references decoded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

LIVE = re.compile(r"@[A-Za-z0-9]|#[0-9]+(?![0-9A-Za-z])|\bGH-[0-9]", re.IGNORECASE)
"""What GitHub turns into a mention or a reference in a text node (a reference's number ends at a
word boundary: ``#0969da`` is a colour, no reference)."""


@dataclass
class Rendered:
    html: str
    tags: list[str] = field(default_factory=list)
    """Every start tag, in order (``p``, ``table``, ``code``, ``a``...)."""
    texts: list[tuple[str, bool]] = field(default_factory=list)
    """Every text node and whether it is inside code."""
    enclosing: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """Every text node that is not only white space, with the elements it is inside, outermost first
    (an element left open, as a browser reads it, holds everything after it)."""

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.texts)

    def live(self) -> list[str]:
        """Text nodes outside code in which GitHub would link or notify."""
        return [text for text, in_code in self.texts if not in_code and LIVE.search(text)]

    def cells(self) -> list[str]:
        """The text of each table cell (th and td), in order."""
        return _Cells.of(self.html)


def rendered(markdown: str) -> Rendered:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return Rendered(html=html, tags=parser.tags, texts=parser.texts, enclosing=parser.enclosing)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.texts: list[tuple[str, bool]] = []
        self.enclosing: list[tuple[str, tuple[str, ...]]] = []
        self._code = 0
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._code += tag in ("code", "pre")
        if tag not in _VOID:
            self._open.append(tag)

    def handle_endtag(self, tag):
        self._code -= tag in ("code", "pre") and self._code > 0
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data):
        self.texts.append((data, self._code > 0))
        if data.strip():
            self.enclosing.append((data, tuple(self._open)))


_VOID = frozenset(
    {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}
)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._in_cell = False

    @classmethod
    def of(cls, html: str) -> list[str]:
        parser = cls()
        parser.feed(html)
        parser.close()
        return parser.cells

    def handle_starttag(self, tag, attrs):
        if tag in ("td", "th"):
            self._in_cell = True
            self.cells.append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell:
            self.cells[-1] += data
