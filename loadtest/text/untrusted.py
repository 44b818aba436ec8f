"""Untrusted text made safe to show: the only way it reaches markdown or the console.

Everything a pull request controls is untrusted: endpoint names and failure messages (the
locustfile is the PR's), run.json, thresholds.json's reasons, history.json and the comment
artifact. Shown as it is, such text could mention people (``@org/team``), link issues (``#123``),
embed images or HTML, close a code span with a backtick, split a table row with a pipe or a
newline, or, printed to a workflow's log, run a workflow command (``::add-mask::``, ``##[``).
So it is always shown through one of these:

- ``markdown_text``: inline markdown, safe in a table cell;
- ``code_span``: a name in a code span that nothing inside can close;
- ``console_text``: a line fragment for a terminal or a workflow log;
- ``html_text``: text or an attribute value in an HTML page of ours (trend.html);
- ``chart_label``: a label inside a Mermaid chart of the summary;
- ``sanitise_markdown``: a whole summary from elsewhere (the comment artifact), whose own
  structure (tables, code spans, our few HTML tags) stays while nothing in it is live.

Mentions and references are neutralised with a word joiner (U+2060, invisible) after ``@``,
``#`` or ``GH-``: GitHub then neither links nor notifies, and the text reads the same. A 40-hex
commit SHA is left as it is (a link to a commit notifies nobody). Invisible and control characters
of the input (newlines, zero-width and bidirectional marks, every format character, the tag block
U+E0000-U+E007F) are shown escaped, as ``\\n`` or ``\\u202e``, so a name can neither break a line,
reorder what a reader sees nor carry text no reader sees; a whole summary loses them instead.
"""

from __future__ import annotations

import html
import re
import unicodedata

from loadtest.text.markdown_blocks import plain_fences
from loadtest.text.summary_limits import SUMMARY_MARKER

NAME_LIMIT = 120
"""Characters of a name shown before the ellipsis: one long name cannot push the other rows out."""
SENTENCE_LIMIT = 500
"""Characters of a longer text (a rule's reason, what was observed) shown before the ellipsis."""
CONSOLE_LIMIT = 200

WORD_JOINER = "\u2060"
ELLIPSIS = "…"

ALLOWED_TAGS = (
    SUMMARY_MARKER,
    "<details>",
    "<details open>",
    "</details>",
    "<summary>",
    "</summary>",
    "<sub>",
    "</sub>",
)
"""The HTML our summary templates write (loadtest/gate/render/markdown.py); any other ``<`` is escaped."""

_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

_NEUTRALISE = (
    (re.compile(r"@(?=[A-Za-z0-9])"), "@" + WORD_JOINER),  # @user, @org/team, user@host
    # #123, owner/repo#123; not a colour like #0969da (a Mermaid chart's): a reference's number ends there
    (re.compile(r"#(?=[0-9]+(?![0-9A-Za-z]))"), "#" + WORD_JOINER),
    (re.compile(r"(GH-)(?=[0-9])", re.IGNORECASE), r"\g<1>" + WORD_JOINER),  # GH-123
    (re.compile(r"(?<=[A-Za-z]):(?=//)"), ":" + WORD_JOINER),  # https://..., bare autolinks
    (re.compile(r"(www)\.", re.IGNORECASE), r"\g<1>" + WORD_JOINER + "."),  # www.example.com
    (re.compile(r"\](?=[(\[:])"), "]" + WORD_JOINER),  # [text](url), ![alt](src), [x][ref], [ref]: url
)
"""What makes GitHub link or notify, each broken by a word joiner; applying them twice changes nothing."""

_WORKFLOW_COMMANDS = (
    (re.compile(r":(?=:)"), ":" + WORD_JOINER),  # ::error::, ::add-mask:: (at any line start)
    (re.compile(r"##(?=\[)"), "##" + WORD_JOINER),  # ##[group], the older command syntax, anywhere
)
"""What the Actions runner executes in a log line: ``::command`` at a line's start, ``##[`` anywhere."""

_ENTITY = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")
"""An ``&`` that starts a character reference: ``&#64;`` and ``&commat;`` render as ``@``."""
_FOREIGN_ENTITY = re.compile(r"&(?!(?:lt|gt|amp);)(?=#|[A-Za-z][A-Za-z0-9]*;)")
"""A character reference other than the three ``markdown_text`` writes."""
_MARKDOWN_PUNCTUATION = re.compile(r"[\\`*_~\[\]|$]")
_FOREIGN_TAG = re.compile("<(?!" + "|".join(re.escape(tag[1:]) for tag in ALLOWED_TAGS) + ")")
TAG_BLOCK = range(0xE0000, 0xE0080)
"""Unicode's tag characters: invisible, they can spell out ASCII text no reader sees."""
_KEPT_FORMAT = frozenset({WORD_JOINER, "\u200d"})
"""Format characters a summary keeps: the word joiner is what neutralises (above), and the zero-width
joiner holds an emoji sequence together."""

_CODE_LOOKALIKES = str.maketrans({"`": "ˋ", "|": "│", "<": "＜"})
"""In a code span nothing is escaped, so what must not be there is shown by a look-alike: a backtick
would close the span, a pipe split a table cell, a ``<`` be escaped (and shown as ``&lt;``) by the
comment poster's sanitiser."""


def markdown_text(text: str, *, limit: int = NAME_LIMIT) -> str:
    """``text`` as inline markdown that renders as itself: HTML, markdown punctuation, pipes, links,
    mentions and references inert, newlines shown as ``\\n``, at most ``limit`` characters."""
    shown = html.escape(_visible(_cut(str(text), limit)), quote=False)
    return _neutralise(_MARKDOWN_PUNCTUATION.sub(r"\\\g<0>", shown))


def code_span(text: str, *, limit: int = NAME_LIMIT) -> str:
    """``text`` in a code span it cannot close, safe in a table cell: `` `GET /api/x/` ``."""
    shown = _visible(_cut(str(text), limit)).translate(_CODE_LOOKALIKES)
    shown = _neutralise(_ENTITY.sub("＆", shown))
    return f"`{shown}`" if shown else "` `"


def console_text(text: str, *, limit: int = CONSOLE_LIMIT) -> str:
    """``text`` as part of one console or workflow-log line: no line break, no workflow command."""
    return _break_workflow_commands(_visible(_cut(str(text), limit)))


def html_text(text: str, *, limit: int = SENTENCE_LIMIT) -> str:
    """``text`` as HTML text or a quoted attribute value: markup escaped, invisible characters (a
    direction override among them) shown as escapes, at most ``limit`` characters."""
    return html.escape(_visible(_cut(str(text), limit)), quote=True)


def as_is(text: str, *, limit: int = 0) -> str:
    """``text`` unchanged, for machines (verdict.json): where a ``markdown_text`` or ``console_text``
    may be passed, this keeps the raw text."""
    return text


def sanitise_markdown(markdown: str) -> str:
    """A summary written elsewhere, made inert: our own tables, code spans and ALLOWED_TAGS stay;
    any other HTML and character references are escaped, a fence that may not be one made text
    (loadtest.text.markdown_blocks), direction overrides and every other hidden
    format character (zero-width space, soft hyphen, byte-order mark, tag characters) dropped, and
    mentions, references, links, images and workflow commands neutralised.

    The gate's own summaries come out unchanged: everything untrusted in them went through the
    functions above, which write nothing this would change.
    """
    text = "".join(char for char in markdown if not _is_hidden(char))
    text = plain_fences(_FOREIGN_TAG.sub("&lt;", text))
    return _neutralise(_FOREIGN_ENTITY.sub("&amp;", text))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def _visible(text: str) -> str:
    """Invisible and control characters as escapes: a newline as ``\\n``, U+202E as ``\\u202e``."""
    return "".join(_escaped(char) if _is_invisible(char) else char for char in text)


def _is_invisible(char: str) -> bool:
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES or ord(char) in TAG_BLOCK


def _is_hidden(char: str) -> bool:
    """A character a summary drops: a format character (bidi marks among them) or a tag character."""
    if char in _KEPT_FORMAT or char.isprintable() and ord(char) not in TAG_BLOCK:
        return False
    return unicodedata.category(char) == "Cf" or ord(char) in TAG_BLOCK


def _escaped(char: str) -> str:
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def _neutralise(text: str) -> str:
    for pattern, replacement in _NEUTRALISE:
        text = pattern.sub(replacement, text)
    return _break_workflow_commands(text)


def _break_workflow_commands(text: str) -> str:
    for pattern, replacement in _WORKFLOW_COMMANDS:
        text = pattern.sub(replacement, text)
    return text


_CHART_LABEL = re.compile(r"[^A-Za-z0-9 /._{}:()\[\]-]")


def chart_label(text: str, *, limit: int = 48) -> str:
    """``text`` inside a Mermaid chart's quoted label: only letters, digits, spaces and ``/._{}:()[]-``
    stay (any other character becomes ``?``), so nothing can close the quote, start a directive or
    link, and at most ``limit`` characters."""
    return _cut(_CHART_LABEL.sub("?", str(text)), limit)
