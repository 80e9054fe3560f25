"""manage.py seed_books on a small count: valid, deterministic, appendable rows.

Runs on whichever backend the suite runs on: COPY on PostgreSQL, batched
INSERTs on SQLite.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from books.cache import book_cache
from books.management.commands import seed_books
from books.models import Book
from books.rules import YEAR_MIN, normalize_isbn, year_max
from books.seeding import CREATED_AT_EPOCH, generated_books, isbn13, serial_of_isbn

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def progress(monkeypatch: pytest.MonkeyPatch) -> StringIO:
    """The progress bar, captured instead of drawn on the real stderr."""
    stream = StringIO()
    monkeypatch.setattr(seed_books.Command, "progress_stream", stream)
    return stream


def run(*args: str) -> str:
    out = StringIO()
    call_command("seed_books", *args, stdout=out)
    return out.getvalue()


def _rows() -> list[tuple[Any, ...]]:
    return list(Book.objects.order_by("id").values_list(
        "title", "author", "year", "isbn", "created_at"))


def test_generated_isbns_are_valid_and_invertible() -> None:
    for serial in (0, 1, 9, 123_456, 99_999_999):
        isbn = isbn13(serial)
        assert normalize_isbn(isbn) == isbn
        assert serial_of_isbn(isbn) == serial
    with pytest.raises(ValueError):
        isbn13(10**8)


def test_same_seed_same_books_other_seed_other_books() -> None:
    first = list(generated_books(start=0, count=50, seed=0))
    assert first == list(generated_books(start=0, count=50, seed=0))
    assert first != list(generated_books(start=0, count=50, seed=1))


def test_seeds_valid_books_for_a_new_seed_user(progress: StringIO) -> None:
    version = book_cache.version()
    output = run("--count", "25")

    assert "Loaded 25 books" in output
    assert "100%" in progress.getvalue() and "25/25" in progress.getvalue()
    books = list(Book.objects.order_by("id"))
    assert len(books) == 25
    owner = get_user_model().objects.get(username=seed_books.SEED_USERNAME)
    assert not owner.has_usable_password()
    assert {book.created_by_id for book in books} == {owner.pk}
    for book in books:
        assert 1 <= len(book.title) <= 200 and 1 <= len(book.author) <= 200
        assert YEAR_MIN <= book.year <= year_max()
        assert book.isbn is None or normalize_isbn(book.isbn) == book.isbn
    # Every tenth book has no ISBN: serials 9 and 19 here.
    assert [book.isbn is None for book in books].count(True) == 2
    assert books[0].created_at == CREATED_AT_EPOCH
    # COPY/INSERT send no signals: one bump, by the command itself.
    assert version is not None and book_cache.version() == version + 1


def test_same_data_on_every_backend_and_every_run() -> None:
    run("--count", "12")
    rows = _rows()
    Book.objects.all().delete()
    run("--count", "12")
    assert _rows() == rows
    expected = [(t, a, y, i, c) for t, a, y, i, c in generated_books(start=0, count=12)]
    assert rows == expected


def test_a_second_run_appends_without_isbn_collisions(alice: Any, bob: Any) -> None:
    run("--count", "15")
    run("--count", "15", "--owner", "bob")
    isbns = [isbn for isbn in Book.objects.values_list("isbn", flat=True) if isbn]
    assert Book.objects.count() == 30
    assert len(isbns) == len(set(isbns))
    # The second run starts at the next multiple of ten after serial 14.
    assert min(serial_of_isbn(isbn) for isbn in Book.objects.filter(
        created_by=bob).values_list("isbn", flat=True) if isbn) == 20


def test_the_first_admin_owns_the_books_by_default(admin_user: Any, alice: Any) -> None:
    run("--count", "3")
    assert set(Book.objects.values_list("created_by", flat=True)) == {admin_user.pk}


def test_rebuilding_indexes_keeps_every_index(monkeypatch: pytest.MonkeyPatch) -> None:
    # The drop-and-rebuild path of large loads (PostgreSQL), forced on a small one.
    monkeypatch.setattr(seed_books, "REBUILD_INDEXES_FROM", 1)
    table = Book._meta.db_table
    with connection.cursor() as cursor:
        before = connection.introspection.get_constraints(cursor, table)
    run("--count", "20")
    with connection.cursor() as cursor:
        after = connection.introspection.get_constraints(cursor, table)
    assert set(after) == set(before)
    assert Book.objects.count() == 20
    if connection.vendor == "postgresql":
        # Migration 0003's statistics target on UPPER(author) survives the rebuild.
        with connection.cursor() as cursor:
            cursor.execute("SELECT attstattarget FROM pg_attribute WHERE attrelid = "
                           "'book_author_upper_idx'::regclass")
            assert cursor.fetchone()[0] == 500


@pytest.mark.parametrize("args", [("--count", "0"), ("--count", "1", "--owner", "nobody")])
def test_bad_arguments_are_refused(args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError):
        run(*args)
    assert not Book.objects.exists()
