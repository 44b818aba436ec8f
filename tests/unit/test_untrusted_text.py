"""Untrusted text is data: hostile names and messages rendered as GitHub renders them, and printed to a log.

Each hostile input goes through loadtest.text.untrusted and then through cmark-gfm (GitHub's renderer):
what arrives must read as the input itself (invisible characters shown escaped), with no link, no
image, no HTML, no live mention or reference, and no workflow command on the console.
"""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.text.untrusted import (
    ELLIPSIS,
    NAME_LIMIT,
    SENTENCE_LIMIT,
    WORD_JOINER,
    chart_label,
    code_span,
    console_text,
    html_text,
    markdown_text,
    sanitise_markdown,
)
from tests.conftest import GATE_FIXTURES
from tests.github_markdown import rendered

HOSTILE = {
    "mention": "GET /api/x/ @octocat",
    "team-mention": "@amal-education/maintainers please look",
    "mention-no-space": "cc:@octocat,@hubot",
    "email": "ops@example.com",
    "reference": "fixes #123",
    "cross-repo-reference": "amal-education/loadtest#42",
    "reference-punctuated": "#12_a #7. (#8) #9/",
    "gh-reference": "GH-123 and gh-7",
    "commit-mention": "octocat/hello@3f9a6c1",
    "entity-mention": "&#64;octocat &#x40;hubot &commat;someone",
    "entity-reference": "&#35;99 &num;12",
    "html": "<b>bold</b><script>alert(1)</script>",
    "img-tag": '<img src="https://evil.example/track.png" onerror="x()">',
    "html-comment": "<!-- amal-loadtest-summary -->",
    "details": "</details><details open><summary>✅ PASS</summary>",
    "markdown-image": "![pass](https://evil.example/pass.svg)",
    "markdown-link": "[click here](https://evil.example/)",
    "reference-link": "[click][1]\n\n[1]: https://evil.example/",
    "autolink": "see https://evil.example/path?x=1",
    "angle-autolink": "<https://evil.example/>",
    "www-autolink": "www.evil.example and _www.evil.example",
    "backtick": "GET /api/`@octocat`/",
    "double-backtick": "`` ` `` @octocat",
    "pipe": "GET /api/x/ | ❌ | 0 ms |",
    "escaped-pipe": "a \\| b \\\\| c",
    "newline": "GET /api/x/\n## ✅ PASS",
    "carriage-return": "GET /x\r\n| a | b |",
    "workflow-error": "::error title=x::the gate passed",
    "workflow-mask": "x\n::add-mask::secret",
    "workflow-stop": "::stop-commands::abc",
    "indented-command": "   ::warning::x",
    "old-command": "##[group]fake ##[set-env name=X;]1",
    "heading": "# ✅ PASS",
    "emphasis": "**PASS** _ok_ ~~fail~~",
    "math": "$\\href{https://evil.example}{x}$",
    "zero-width": "GET\u200b /api/\u200dx\u2060/\ufeff",
    "rtl-override": "GET /api/\u202eSSAP\u202c/",
    "bidi-isolate": "\u2066ok\u2069\u200f",
    "ansi": "\x1b[31mred\x1b[0m\x07",
    "nul": "a\x00b",
    "surrogate": "a\ud800b",
    "line-separator": "a\u2028b\u2029c",
    "locust-param-name": "GET /api/items/[id]",
    "ipv6-failure": "ConnectionRefusedError(111, \"connect to ('::1', 8000)\")",
    "sha": "3f9a6c1e0b2d4f5a6c7e8d9f0a1b2c3d4e5f6a7b",
    "long": "GET /api/" + "x" * 5000,
    "long-mentions": "@a " * 2000,
}

TABLE = "| Endpoint | p95 |\n|---|---|\n| {cell} | 1 ms |\n"


def shown(text: str, limit: int = NAME_LIMIT) -> str:
    """What a reader must see: the text itself, cut to the limit, invisible characters as escapes."""
    text = text if len(text) <= limit else text[: limit - 1] + ELLIPSIS
    escapes = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(escapes.get(c, _escape(c)) if _invisible(c) else c for c in text)


def _invisible(char: str) -> bool:
    import unicodedata

    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def _escape(char: str) -> str:
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}" if point < 0x10000 else f"\\U{point:08x}"


def seen(text: str) -> str:
    """Rendered text as a reader sees it: without the invisible word joiners."""
    return text.replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_markdown_text_reads_as_itself_in_a_table_cell_with_nothing_live(text):
    page = rendered(TABLE.format(cell=markdown_text(text)))

    assert len(page.cells()) == 4, page.html  # one row, two cells: nothing split it or ended the table
    assert seen(page.cells()[2]).strip(" ") == shown(text).strip(" ")
    assert set(page.tags) <= {"table", "thead", "tbody", "tr", "th", "td"}, page.html
    assert page.live() == []


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_markdown_text_in_a_headline_stays_one_heading(text):
    page = rendered(f"## ❌ Load test FAIL: {markdown_text(text)}: 900 ms breaks p95 ≤ 500 ms\n\nnext")

    assert page.tags == ["h2", "p"], page.html
    assert seen(page.text) == f"❌ Load test FAIL: {shown(text)}: 900 ms breaks p95 ≤ 500 ms\nnext\n"
    assert page.live() == []


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_code_span_cannot_be_closed_from_inside(text):
    table = rendered(TABLE.format(cell=f"{code_span(text)} ❌"))
    item = rendered(f"- {code_span(text)}: p95 not recorded\n")

    lookalikes = str.maketrans({"`": "ˋ", "|": "│", "<": "＜"})
    expected = in_code(re.sub(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)", "＆", shown(text).translate(lookalikes)))
    assert table.tags == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "code", "td"], table.html
    assert seen(table.cells()[2]) == f"{expected} ❌"
    assert item.tags == ["ul", "li", "code"], item.html
    assert seen(item.text).strip("\n") == f"{expected}: p95 not recorded"
    assert table.live() == item.live() == []


def in_code(text: str) -> str:
    """A code span's text as CommonMark shows it: one space off each end when both ends have one."""
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == " " and text.strip(" ") else text


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_console_text_cannot_make_a_workflow_command(text):
    line = f"  FAIL: {console_text(text)}: 900 ms breaks p95 ≤ 500 ms"

    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    for start in (line, console_text(text)):  # also where the text starts a line (the console table)
        assert not start.lstrip().startswith("::")
    assert "##[" not in line
    assert seen(line) == f"  FAIL: {shown(text, 200)}: 900 ms breaks p95 ≤ 500 ms"


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_html_text_is_text_in_a_page_and_in_an_attribute(text):
    page = f'<p title="{html_text(text)}">{html_text(text)}</p>'
    parser = _Elements()
    parser.feed(page)
    parser.close()

    assert parser.elements == [("p", [("title", shown(text, SENTENCE_LIMIT))])]
    assert parser.text == shown(text, SENTENCE_LIMIT)


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_chart_label_keeps_only_what_cannot_leave_a_mermaid_title(text):
    label = chart_label(text)

    assert re.fullmatch(r"[A-Za-z0-9 /._{}:()\[\]?-]*…?", label), label
    assert len(label) <= 48 and '"' not in label and "`" not in label and "@" not in label


def test_chart_label_leaves_an_endpoint_name_as_it_is():
    assert chart_label("GET /api/dashboard/v2/search/") == "GET /api/dashboard/v2/search/"
    assert chart_label("GET /api/items/[id]") == "GET /api/items/[id]"


class _Elements(HTMLParser):
    """Each start tag with its attributes, and the text, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list]] = []
        self.text = ""

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_data(self, data):
        self.text += data


def test_a_long_name_is_cut_to_the_limit_with_an_ellipsis():
    name = "GET /api/" + "x" * 500

    assert markdown_text(name) == name[: NAME_LIMIT - 1] + "…"
    assert code_span(name, limit=20) == f"`{name[:19]}…`"
    assert len(console_text(name)) == 200


def test_plain_names_and_commit_shas_are_left_as_they_are():
    for text in (
        "GET /api/dashboard/",
        "POST /api/accounts/sign-in/",
        "3f9a6c1e0b2d4f5a6c7e8d9f0a1b2c3d4e5f6a7b",
    ):
        assert markdown_text(text) == text
        assert code_span(text) == f"`{text}`"
        assert console_text(text) == text


def test_an_empty_name_is_still_a_code_span():
    assert rendered(code_span("")).tags == ["p", "code"]


HOSTILE_SUMMARY = (
    "<!-- amal-loadtest-summary -->\n\n"
    "## ✅ Load test PASS: all endpoints within limits\n\n"
    "@amal-education/maintainers @octocat please merge, fixes #12 and GH-7, see amal-education/loadtest#3\n\n"
    '<img src="https://evil.example/t.png"> <a href="https://evil.example">docs</a> <script>x()</script>\n\n'
    "![pass](https://evil.example/pass.svg) [click](https://evil.example/) [ref][1] https://evil.example/x "
    "www.evil.example &#64;hubot &commat;ghost\n\n"
    "[1]: https://evil.example/ref\n\n"
    "| Endpoint | p95 |\n|---|---|\n| `GET /api/x/` @octocat | 12 ms |\n\n"
    "<details open>\n<summary>Per endpoint @octocat</summary>\n\n@hubot #5 <b>x</b>\n\n</details>\n\n"
    "::error::forged\n##[group]forged\n\u202eSSAP\n"
)


def test_a_hostile_summary_is_inert_once_sanitised():
    page = rendered(sanitise_markdown(HOSTILE_SUMMARY))

    assert "a" not in page.tags and "img" not in page.tags and "script" not in page.tags
    assert set(page.tags) <= {
        "h2",
        "p",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "code",
        "details",
        "summary",
    }
    assert page.live() == [], page.live()
    assert [text for text, _ in page.texts if LIVE_IN_CODE.search(text)] == []
    assert not any(
        line.lstrip().startswith("::") or "##[" in line
        for line in sanitise_markdown(HOSTILE_SUMMARY).splitlines()
    )
    assert "\u202e" not in sanitise_markdown(HOSTILE_SUMMARY)


LIVE_IN_CODE = re.compile(r"@[A-Za-z0-9]|#[0-9]+(?![0-9A-Za-z])")
"""Even in code, no mention or reference survives the sanitiser (defence in depth)."""


def test_the_sanitiser_keeps_our_own_structure():
    ours = (
        "<!-- amal-loadtest-summary -->\n\n## ❌ Load test FAIL: GET /api/x/: 620 ms breaks p95 ≤ 500 ms\n\n"
        "| Endpoint | p95 |\n|---|---|\n| `GET /api/x/` ❌ | 620 ❌ |\n\n"
        "<details open>\n<summary>Per endpoint (1)</summary>\n\nbody\n\n</details>\n\n"
        "<sub>Limits from `thresholds.json`.</sub>\n"
    )

    assert sanitise_markdown(ours) == ours


def test_a_colour_is_no_reference_and_stays_as_it_is():
    """A Mermaid chart's palette (loadtest/gate/render/charts.py) must reach the comment unbroken."""
    palette = 'plotColorPalette: "#0969da, #8c959f" #12 #3a'

    assert sanitise_markdown(palette) == f'plotColorPalette: "#0969da, #8c959f" #{WORD_JOINER}12 #3a'


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_any_text_reads_as_itself_in_one_table_cell(text):
    cells = rendered(TABLE.format(cell=markdown_text(text, limit=500))).cells()

    assert len(cells) == 4
    assert seen(cells[2]).strip(" ") == shown(text, 500).strip(" ")


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(max_size=200))
def test_any_text_makes_nothing_live_and_the_sanitiser_changes_none_of_it(text):
    markdown = f"{markdown_text(text)} {code_span(text)}"
    page = rendered(markdown)

    assert page.live() == [] and "a" not in page.tags and "img" not in page.tags
    assert sanitise_markdown(markdown) == markdown
    assert sanitise_markdown(sanitise_markdown(text)) == sanitise_markdown(text)


@pytest.mark.parametrize("summary", sorted((GATE_FIXTURES / "expected").glob("*.md")), ids=lambda p: p.stem)
def test_every_summary_the_gate_writes_comes_out_of_the_sanitiser_unchanged(summary):
    """The allow-list is exactly the tags our templates write: the poster changes nothing of ours."""
    text = summary.read_text(encoding="utf-8")

    assert sanitise_markdown(text) == text


HIDDEN = {
    "zero-width space": "\u200b",
    "soft hyphen": "\u00ad",
    "byte-order mark": "\ufeff",
    "tag A": "\U000e0041",
    "tag block start": "\U000e0000",
    "cancel tag": "\U000e007f",
    "arabic letter mark": "\u061c",
    "invisible times": "\u2062",
}


@pytest.mark.parametrize("char", list(HIDDEN.values()), ids=list(HIDDEN))
def test_hidden_format_characters_leave_a_summary_and_show_as_escapes_in_a_name(char):
    summary = f"## PASS\n\nall{char}good {char * 3}hidden"

    assert sanitise_markdown(summary) == "## PASS\n\nallgood hidden"
    assert char not in markdown_text(f"a{char}b") and f"\\\\{ascii(char)[2:-1]}" in markdown_text(f"a{char}b")
    assert char not in console_text(f"a{char}b") and char not in code_span(f"a{char}b")
