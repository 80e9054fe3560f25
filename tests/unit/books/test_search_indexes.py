"""Migration 0002: trigram indexes on PostgreSQL, nothing elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection

from books.filters import BookFilterSet
from books.listing import BookFilters, book_list
from books.models import Book
from common.pagination import PageParams, paginate

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL only")
def test_trigram_indexes_exist_on_the_expression_icontains_uses() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'books_book'")
        indexes = dict(cursor.fetchall())
    for name in ("book_title_upper_trgm_idx", "book_author_upper_trgm_idx"):
        assert "gin_trgm_ops" in indexes[name] and "upper(" in indexes[name]
    # The indexed expression is the one Django emits for icontains, by both
    # routes to the list: DRF's FilterSet and books.listing (FastAPI, Flask).
    filterset = BookFilterSet(data={"search": "tolkien"}, queryset=Book.objects.all())
    listed = book_list(filters=BookFilters(search="tolkien"))
    for sql in (str(filterset.qs.query), str(listed.query)):
        assert 'UPPER("books_book"."title"::text) LIKE UPPER(' in sql
        assert 'UPPER("books_book"."author"::text) LIKE UPPER(' in sql


def test_search_works_on_every_backend() -> None:
    page = paginate(book_list(filters=BookFilters(search="anything")), PageParams())
    assert page.items == [] and page.total == 0
