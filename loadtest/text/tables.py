"""Text tables that are the same bytes on every machine.

tabulate pads cells by their display width when the optional ``wcwidth`` package is importable
(prompt_toolkit, among others, installs it), so a summary with an emoji in a cell came out padded
differently from one machine to the next. Padded by characters, it is the same everywhere; GitHub
renders a markdown table the same either way.
"""

from __future__ import annotations

from collections.abc import Sequence

import tabulate as _tabulate


def table(rows: Sequence[Sequence[object]], headers: Sequence[str], **options: object) -> str:
    """``tabulate.tabulate`` with numbers left as written and widths counted in characters."""
    wide = _tabulate.WIDE_CHARS_MODE
    _tabulate.WIDE_CHARS_MODE = False
    try:
        return _tabulate.tabulate(rows, headers=headers, disable_numparse=True, **options)
    finally:
        _tabulate.WIDE_CHARS_MODE = wide
