"""Writes of books: create, update, delete, with their permission rules.

Every framework calls these and nothing else to change a book, so who may
do what is written once:

- any authenticated user may create a book (and becomes its `created_by`);
- the creator or an admin may update it;
- only an admin may delete it.

Checks run in a fixed order, the same for every framework: permission
(403), then values (422, `books.rules`), then uniqueness (409). The model is
not `full_clean()`ed: `validate_book` already checked every value with the
contract's messages, and the database constraints back it up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard

from django.db import DataError, IntegrityError, transaction

from books.models import Book
from books.rules import MSG_TOO_LONG, validate_book
from common.errors import (
    Conflict,
    FieldError,
    NotAuthenticated,
    PermissionDenied,
    ValidationFailed,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    # Who asks: a user, the anonymous visitor of a framework's request, or nobody.
    Actor = User | AnonymousUser | None

MSG_ISBN_TAKEN = "A book with that ISBN already exists."


# --- Permissions: public so every framework can ask before it acts ----------------


# TypeGuard: True also tells the type checker that the actor is a User (signed in).
def can_create(actor: Actor) -> TypeGuard[User]:
    return actor is not None and actor.is_authenticated and actor.is_active


def can_update(actor: Actor, book: Book) -> bool:
    return can_create(actor) and (actor.is_admin or book.created_by_id == actor.pk)


def can_delete(actor: Actor) -> bool:
    return can_create(actor) and actor.is_admin


def _require(allowed: bool, actor: User | None) -> None:
    if allowed:
        return
    if actor is None or not actor.is_authenticated:
        raise NotAuthenticated()
    raise PermissionDenied()


# --- Writes -----------------------------------------------------------------------


def _ensure_isbn_free(isbn: str | None, *, exclude_pk: int | None = None) -> None:
    # The friendly check; the unique index (see _save) catches the race where
    # two requests pass this check at the same moment.
    if isbn is None:
        return
    others = Book.objects.filter(isbn=isbn)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise Conflict(MSG_ISBN_TAKEN)


def _save(book: Book) -> None:
    try:
        # A savepoint, so the surrounding transaction survives the
        # IntegrityError (PostgreSQL aborts a transaction on any error).
        with transaction.atomic():
            book.save()
    except IntegrityError as exc:
        if book.isbn is not None and Book.objects.filter(isbn=book.isbn).exclude(
            pk=book.pk
        ).exists():
            raise Conflict(MSG_ISBN_TAKEN) from exc
        raise
    except DataError as exc:
        # The rules check every length before this point; a value the column
        # still refuses means a limit and the table disagree. The client gets
        # the field's error, never a 500 (PostgreSQL enforces max_length).
        too_long = _too_long_fields(book)
        if not too_long:
            raise
        raise ValidationFailed(too_long) from exc


def _too_long_fields(book: Book) -> list[FieldError]:
    errors = []
    for field in Book._meta.concrete_fields:
        value = getattr(book, field.attname)
        limit = getattr(field, "max_length", None)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            errors.append(FieldError(field.name, MSG_TOO_LONG.format(max=limit)))
    return errors


@transaction.atomic
def book_create(
    *,
    actor: User,
    title: str,
    author: str,
    year: int,
    isbn: str | None = None,
    description: str | None = "",
) -> Book:
    """Create a book owned by `actor`.

    :raise NotAuthenticated: no actor.
    :raise ValidationFailed: a value breaks a rule (details in field order).
    :raise Conflict: the (normalised) ISBN is already taken.
    """
    _require(can_create(actor), actor)
    values = validate_book(
        {"title": title, "author": author, "year": year, "isbn": isbn,
         "description": description},
        partial=False,
    )
    _ensure_isbn_free(values["isbn"])
    book = Book(**values, created_by=actor)
    _save(book)
    return book


@transaction.atomic
def book_update(*, actor: User, book: Book, values: dict[str, Any], partial: bool) -> Book:
    """Replace (`partial=False`, PUT) or patch (`partial=True`, PATCH) a book.

    On a full replace, optional fields left out go back to their defaults.

    :raise PermissionDenied: actor is neither the creator nor an admin.
    :raise ValidationFailed: a value breaks a rule.
    :raise Conflict: the new ISBN belongs to another book.
    """
    _require(can_update(actor, book), actor)
    cleaned = validate_book(values, partial=partial)
    if "isbn" in cleaned:
        _ensure_isbn_free(cleaned["isbn"], exclude_pk=book.pk)
    for field, value in cleaned.items():
        setattr(book, field, value)
    _save(book)
    return book


@transaction.atomic
def book_delete(*, actor: User, book: Book) -> None:
    """Delete a book for good.

    :raise PermissionDenied: actor is not an admin.
    """
    _require(can_delete(actor), actor)
    book.delete()
