"""Page-number pagination as Django REST Framework's PageNumberPagination does it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode

PAGE_SIZE = 10


class InvalidPage(Exception):
    """``page`` is not a number, or beyond the last page: DRF answers 404 ``{"detail": "Invalid page."}``."""


def page_number(raw: str | None, count: int, page_size: int = PAGE_SIZE) -> int:
    """The 1-based page asked for; an empty first page is allowed, ``last`` means the last page."""
    pages = max(1, math.ceil(count / page_size))
    if raw is None or raw == "":
        return 1
    if raw == "last":
        return pages
    try:
        number = int(raw)
    except ValueError:
        raise InvalidPage(raw) from None
    if not 1 <= number <= pages:
        raise InvalidPage(raw)
    return number


def page_url(base: str, query_string: str, page: int | None) -> str:
    """``base`` with the query's ``page`` replaced (or removed when None), keys sorted as DRF does."""
    pairs = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k != "page"]
    if page is not None:
        pairs.append(("page", str(page)))
    query = urlencode(sorted(pairs))
    return f"{base}?{query}" if query else base


def paginate(
    items: Sequence, raw_page: str | None, *, base: str, query_string: str, page_size: int = PAGE_SIZE
) -> tuple[dict, Sequence]:
    """The ``{count, next, previous}`` envelope and the slice of ``items`` on the page asked for."""
    count = len(items)
    number = page_number(raw_page, count, page_size)
    pages = max(1, math.ceil(count / page_size))
    envelope = {
        "count": count,
        "next": page_url(base, query_string, number + 1) if number < pages else None,
        "previous": None
        if number == 1
        else page_url(base, query_string, None if number == 2 else number - 1),
    }
    start = (number - 1) * page_size
    return envelope, items[start : start + page_size]
