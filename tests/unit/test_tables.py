"""Tables pad by characters, so a summary is the same bytes whether or not wcwidth is installed."""

import types

import tabulate

from loadtest.text.tables import table

ROWS = [["`GET /api/dashboard/` ❌", "587"], ["`GET /api/ai-assistant/library/`", "407"]]


def test_a_cell_with_an_emoji_is_padded_as_on_a_machine_without_wcwidth(monkeypatch):
    without = table(ROWS, headers=["Endpoint", "Requests"], tablefmt="github")
    # What wcwidth answers: the emoji takes two columns of a terminal.
    wide = types.SimpleNamespace(wcswidth=lambda text: len(text) + text.count("❌"), wcwidth=None)
    monkeypatch.setattr(tabulate, "wcwidth", wide)
    monkeypatch.setattr(tabulate, "WIDE_CHARS_MODE", True)

    assert table(ROWS, headers=["Endpoint", "Requests"], tablefmt="github") == without
    assert tabulate.WIDE_CHARS_MODE is True, "the setting is the caller's again afterwards"
    lines = without.splitlines()
    assert len({len(line) for line in lines}) == 1, "every line as many characters long"


def test_numbers_are_left_as_written():
    assert "1,140" in table([["1,140", "0.50"]], headers=["a", "b"], tablefmt="github")
    assert "0.50" in table([["1,140", "0.50"]], headers=["a", "b"], tablefmt="github")
