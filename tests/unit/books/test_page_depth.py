"""common.pagination's bound: numbered pages reach PAGE_ROWS_MAX rows, then the cursor."""

from __future__ import annotations

import pytest

from accounts.models import User
from books.models import Book
from common.constraints import PAGE_ROWS_MAX
from common.errors import ValidationFailed
from common.pagination import (
    PageParams,
    PageResult,
    _with_cursor_past_bound,
    page_links,
    page_param_errors,
    paginate,
)

BASE = "http://testserver/api/flask/books"


@pytest.mark.parametrize(("page", "size", "deep"),
                         [(50, 20, False), (51, 20, True), (10, 100, False), (11, 100, True),
                          (PAGE_ROWS_MAX, 1, False), (PAGE_ROWS_MAX + 1, 1, True)])
def test_too_deep_is_page_times_page_size_past_the_bound(page: int, size: int, deep: bool) -> None:
    assert PageParams(page, size).too_deep is deep
    parsed, errors = page_param_errors({"page": str(page), "page_size": str(size)})
    assert [error.field for error in errors] == (["page"] if deep else [])
    assert (parsed is None) is deep


def test_paginate_refuses_a_page_too_deep_whoever_parsed_it() -> None:
    # FastAPI and Flask build PageParams themselves: the bound holds there too.
    with pytest.raises(ValidationFailed) as refused:
        paginate(Book.objects.order_by("id"), PageParams(page=51, page_size=20))
    assert [detail.field for detail in refused.value.details] == ["page"]


def _last_numbered(items: list[object]) -> PageResult:
    return PageResult(items=items, page=PAGE_ROWS_MAX // 100, page_size=100,
                      total=PAGE_ROWS_MAX + 50, pages=11)


def test_a_book_list_links_on_with_a_cursor() -> None:
    book = Book(id=7, title="T", author="A", year=2000)
    result = _with_cursor_past_bound(Book.objects.order_by("-year", "id"), _last_numbered([book]))
    assert result.next_cursor
    next_url = page_links(BASE, {"page": "10", "page_size": "100", "sort": "year:desc"},
                          result)["next"]
    assert next_url is not None
    assert next_url.startswith(f"{BASE}?page_size=100&sort=year%3Adesc&cursor=")


def test_a_list_without_cursors_ends_at_the_bound() -> None:
    user = User(id=7, username="u")
    result = _with_cursor_past_bound(User.objects.order_by("id"), _last_numbered([user]))
    assert result.next_cursor is None
    assert page_links(BASE, {"page": "10", "page_size": "100"}, result)["next"] is None


def test_before_the_bound_next_is_a_page_number() -> None:
    result = PageResult(items=[], page=9, page_size=100, total=PAGE_ROWS_MAX + 50, pages=11)
    assert page_links(BASE, {"page": "9", "page_size": "100"}, result)["next"] == (
        f"{BASE}?page_size=100&page=10"
    )
