"""common.counting and common.keyset on the books table, on the suite's backend.

The thresholds are lowered so a few dozen rows play the large table:
PostgreSQL then estimates (reltuples, EXPLAIN), SQLite always counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from books.models import Book
from common import counting, pagination
from common.counting import count_rows
from common.errors import ValidationFailed
from common.keyset import Cursor, keyset_page
from common.pagination import PageParams, page_links, paginate

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def thirty(make_book: Callable[..., Book]) -> list[Book]:
    books = [make_book(title=f"Book {n:02d}", year=1990 + n % 3) for n in range(30)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Book._meta.db_table}")
    return books


def test_small_tables_are_counted_exactly(thirty: list[Book]) -> None:
    assert count_rows(Book.objects.all()) == counting.RowCount(30)
    assert count_rows(Book.objects.filter(year=1990)) == counting.RowCount(10)


def test_a_large_unfiltered_table_reports_its_estimate(
    thirty: list[Book], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "ESTIMATE_TABLES_FROM", 5)
    count = count_rows(Book.objects.all())
    if ON_POSTGRESQL:
        # After ANALYZE of a small table, reltuples is the exact row count.
        assert count == counting.RowCount(30, estimated=True)
    else:
        assert count == counting.RowCount(30)


def test_a_large_filtered_list_counts_only_up_to_the_bound(
    thirty: list[Book], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "EXACT_UP_TO", 5)
    count = count_rows(Book.objects.filter(year__gte=1990))
    if ON_POSTGRESQL:
        assert count.estimated and count.total >= 6
    else:
        assert count == counting.RowCount(30)
    # Below the bound the count stays exact.
    assert count_rows(Book.objects.filter(title="Book 07")) == counting.RowCount(1)


def test_a_list_the_planner_finds_large_is_not_counted(
    thirty: list[Book], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "TRUST_ESTIMATES_FROM", 2)
    monkeypatch.setattr(counting, "EXACT_UP_TO", 5)
    count = count_rows(Book.objects.filter(year__gte=1990))
    if ON_POSTGRESQL:
        # The planner's number, whatever it is (ANALYZE sampled all 30 rows).
        assert count == counting.RowCount(30, estimated=True)
    else:
        assert count == counting.RowCount(30)


def test_an_estimated_page_says_so_and_still_reads_its_rows(
    thirty: list[Book], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counting, "ESTIMATE_TABLES_FROM", 5)
    first = paginate(Book.objects.order_by("id"), PageParams(page=1, page_size=20))
    assert [book.pk for book in first.items] == [book.pk for book in thirty[:20]]
    assert first.meta().get("total_is_estimate", False) is ON_POSTGRESQL
    # The last page settles the total: the rows before it plus its own.
    last = paginate(Book.objects.order_by("id"), PageParams(page=2, page_size=20))
    assert [book.pk for book in last.items] == [book.pk for book in thirty[20:]]
    assert last.meta() == {"page": 2, "page_size": 20, "total": 30, "pages": 2}
    assert "total_is_estimate" not in paginate(Book.objects.filter(year=1991),
                                               PageParams()).meta()


def test_an_estimate_never_hides_a_next_page_and_the_last_page_is_exact(
    thirty: list[Book], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A planner that badly undercounts: 3 rows, when there are 30.
    monkeypatch.setattr(counting, "count_rows", lambda queryset: counting.RowCount(3, True))
    monkeypatch.setattr(pagination, "count_rows", counting.count_rows)
    first = paginate(Book.objects.order_by("id"), PageParams(page=1, page_size=20))
    assert first.meta() == {"page": 1, "page_size": 20, "total": 21, "pages": 2,
                            "total_is_estimate": True}
    last = paginate(Book.objects.order_by("id"), PageParams(page=2, page_size=20))
    assert len(last.items) == 10
    assert last.meta() == {"page": 2, "page_size": 20, "total": 30, "pages": 2}


def test_a_cursor_survives_encoding_and_refuses_tampering() -> None:
    cursor = Cursor(("-year", "title", "id"), (1999, "Dune", 42), "prev")
    token = cursor.encode()
    assert Cursor.decode(token) == cursor
    assert token == cursor.encode()  # no timestamp: the same page, the same link
    for bad in ("", "x", token + "x", token.replace(":", ":0", 1), "a" * 3000):
        with pytest.raises(ValidationFailed) as failed:
            Cursor.decode(bad)
        assert [d.field for d in failed.value.details] == ["cursor"]


def test_keyset_page_walks_a_mixed_order(thirty: list[Book]) -> None:
    ordering = ["-year", "title", "id"]
    expected = list(Book.objects.order_by(*ordering))
    seen: list[Any] = []
    cursor = None
    while True:
        page = keyset_page(Book.objects.all(), ordering=ordering, page_size=7, cursor=cursor)
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor)
    assert seen == expected
    with pytest.raises(ValidationFailed):
        keyset_page(Book.objects.all(), ordering=["title", "id"], page_size=7, cursor=cursor)


def test_an_estimate_too_high_never_offers_an_empty_page(
    thirty: list[Book], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A planner that overcounts, as on 200,000 books (10,015 estimated, 7,463 real):
    # 60 rows, when there are 30. On both backends: the estimate is stood in for.
    monkeypatch.setattr(pagination, "count_rows", lambda queryset: counting.RowCount(60, True))
    books = Book.objects.order_by("id")
    first = paginate(books, PageParams(page=1, page_size=10))
    assert first.meta()["total_is_estimate"] is True
    assert page_links("http://x/books", {}, first)["next"] == "http://x/books?page=2"
    # Page 4 of an estimated 6 lies past the last real row (page 3): it is empty,
    # offers no next page, its prev leads to the last page with rows, and its
    # total is the exact count of the rows before it.
    past = paginate(books, PageParams(page=4, page_size=10))
    assert past.items == []
    assert past.meta() == {"page": 4, "page_size": 10, "total": 30, "pages": 3}
    links = page_links("http://x/books", {}, past)
    assert links["next"] is None
    assert links["prev"] == "http://x/books?page=3"
    far = paginate(books, PageParams(page=6, page_size=10))
    assert page_links("http://x/books", {}, far)["prev"] == "http://x/books?page=3"
    # An estimate for a list that turns out empty: page 1 says so, exactly.
    nothing = paginate(Book.objects.filter(title="No such book"), PageParams(page=1))
    assert nothing.meta() == {"page": 1, "page_size": 20, "total": 0, "pages": 0}
    assert page_links("http://x/books", {}, nothing)["next"] is None
