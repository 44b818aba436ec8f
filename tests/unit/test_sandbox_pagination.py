"""Pagination as DRF's PageNumberPagination: page numbers, absolute links, the 404 on a bad page."""

import pytest

from loadtest.sandbox.pagination import InvalidPage, page_number, page_url, paginate

BASE = "http://127.0.0.1:8000/api/ai-assistant/library/"


@pytest.mark.parametrize(
    ("raw", "count", "expected"),
    [(None, 25, 1), ("", 25, 1), ("1", 25, 1), ("3", 25, 3), ("last", 25, 3), ("1", 0, 1), ("last", 0, 1)],
)
def test_page_numbers(raw, count, expected):
    assert page_number(raw, count) == expected


@pytest.mark.parametrize(
    ("raw", "count"), [("0", 25), ("4", 25), ("-1", 25), ("two", 25), ("1.5", 25), ("2", 0)]
)
def test_invalid_pages(raw, count):
    with pytest.raises(InvalidPage):
        page_number(raw, count)


def test_links_keep_the_other_parameters_sorted_and_replace_page():
    assert page_url(BASE, "page=2&category=science", 3) == f"{BASE}?category=science&page=3"
    assert page_url(BASE, "page=2&category=science", None) == f"{BASE}?category=science"
    assert page_url(BASE, "page=2", None) == BASE


def test_first_middle_and_last_pages():
    items = list(range(25))
    first, on_first = paginate(items, None, base=BASE, query_string="")
    assert first == {"count": 25, "next": f"{BASE}?page=2", "previous": None}
    assert list(on_first) == list(range(10))
    middle, _ = paginate(items, "2", base=BASE, query_string="page=2")
    assert middle == {"count": 25, "next": f"{BASE}?page=3", "previous": BASE}
    last, on_last = paginate(items, "3", base=BASE, query_string="page=3")
    assert last == {"count": 25, "next": None, "previous": f"{BASE}?page=2"}
    assert list(on_last) == list(range(20, 25))


def test_an_empty_list_is_one_empty_page():
    assert paginate([], None, base=BASE, query_string="") == (
        {"count": 0, "next": None, "previous": None},
        [],
    )
