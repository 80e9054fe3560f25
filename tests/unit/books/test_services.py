"""books.services: permissions, normalisation, conflicts."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError

from books import services
from books.models import Book
from books.services import book_create, book_delete, book_update
from common.errors import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def create(actor: Any, **overrides: Any) -> Book:
    values: dict[str, Any] = {"title": "Dune", "author": "Frank Herbert", "year": 1965}
    values.update(overrides)
    return book_create(actor=actor, **values)


class TestCreate:
    def test_normalises_and_owns(self, alice: Any) -> None:
        book = create(alice, title="  Dune ", isbn="0-441-17271-7")
        book.refresh_from_db()
        assert (book.title, book.isbn, book.created_by_id, book.description) == (
            "Dune", "9780441172719", alice.pk, ""
        )

    def test_needs_an_actor(self) -> None:
        with pytest.raises(NotAuthenticated):
            create(None)

    def test_values_checked(self, alice: Any) -> None:
        with pytest.raises(ValidationFailed) as info:
            create(alice, title="", year=1200, isbn="123")
        assert [d.field for d in info.value.details] == ["title", "year", "isbn"]
        assert Book.objects.count() == 0

    def test_duplicate_isbn_in_either_form_is_conflict(self, alice: Any, bob: Any) -> None:
        create(alice, isbn="9780441172719")
        with pytest.raises(Conflict) as info:
            create(bob, isbn="0441172717")
        assert info.value.message == "A book with that ISBN already exists."

    def test_books_without_isbn_do_not_conflict(self, alice: Any) -> None:
        create(alice)
        create(alice, isbn="")
        assert Book.objects.filter(isbn=None).count() == 2

    def test_integrity_error_race_is_conflict(self, alice: Any) -> None:
        create(alice, isbn="9780441172719")
        # Simulate the race: the friendly pre-check saw no duplicate, the
        # unique index then refuses the row.
        with mock.patch.object(services, "_ensure_isbn_free"), pytest.raises(Conflict):
            create(alice, isbn="9780441172719")
        assert Book.objects.count() == 1

    def test_other_integrity_errors_propagate(self, alice: Any) -> None:
        with mock.patch.object(services, "validate_book", return_value={
            "title": "T", "author": "A", "year": 1000, "isbn": None, "description": ""
        }), pytest.raises(IntegrityError):
            create(alice)


class TestUpdate:
    def test_creator_may_patch(self, alice: Any) -> None:
        book = create(alice, isbn="9780441172719", description="desc")
        book_update(actor=alice, book=book, values={"year": 1966}, partial=True)
        book.refresh_from_db()
        assert (book.year, book.isbn, book.description) == (1966, "9780441172719", "desc")

    def test_put_resets_optional_fields(self, alice: Any) -> None:
        book = create(alice, isbn="9780441172719", description="desc")
        book_update(actor=alice, book=book,
                    values={"title": "Dune", "author": "F. H.", "year": 1965}, partial=False)
        book.refresh_from_db()
        assert (book.author, book.isbn, book.description) == ("F. H.", None, "")

    def test_put_requires_all_fields(self, alice: Any) -> None:
        book = create(alice)
        with pytest.raises(ValidationFailed) as info:
            book_update(actor=alice, book=book, values={"title": "X"}, partial=False)
        assert [d.field for d in info.value.details] == ["author", "year"]

    def test_admin_may_update_anyones(self, alice: Any, admin_user: Any) -> None:
        book = create(alice)
        book_update(actor=admin_user, book=book, values={"title": "By admin"}, partial=True)
        assert Book.objects.get().title == "By admin"

    def test_other_user_is_denied_before_values_are_checked(self, alice: Any, bob: Any) -> None:
        book = create(alice)
        with pytest.raises(PermissionDenied):
            book_update(actor=bob, book=book, values={"title": ""}, partial=True)

    def test_keeping_own_isbn_is_not_a_conflict(self, alice: Any) -> None:
        book = create(alice, isbn="9780441172719")
        book_update(actor=alice, book=book, values={"isbn": "0441172717"}, partial=True)

    def test_taking_anothers_isbn_is_conflict(self, alice: Any) -> None:
        create(alice, isbn="9780441172719")
        other = create(alice, title="Other")
        with pytest.raises(Conflict):
            book_update(actor=alice, book=other, values={"isbn": "9780441172719"}, partial=True)


class TestDelete:
    def test_admin_deletes(self, alice: Any, admin_user: Any) -> None:
        book = create(alice)
        book_delete(actor=admin_user, book=book)
        assert Book.objects.count() == 0

    def test_even_the_creator_may_not(self, alice: Any) -> None:
        book = create(alice)
        with pytest.raises(PermissionDenied):
            book_delete(actor=alice, book=book)

    def test_anonymous(self, alice: Any) -> None:
        with pytest.raises(NotAuthenticated):
            book_delete(actor=None, book=create(alice))
