"""Keyset ("cursor") pagination: page 50,000 costs what page 1 costs.

    GET /books?sort=year:desc,title&cursor=          # first page, cursor mode
    GET /books?sort=year:desc,title&cursor=eyJv...   # from links.next

OFFSET pagination makes the database read and throw away every row before
the page (~130 ms at offset 900,000: docs/measurements.md). A keyset page instead says
"the rows after this one" in the active order: for ORDER BY year DESC,
title ASC, id ASC after the row (1999, "Dune", 42):

    WHERE year <= 1999
      AND (year < 1999
           OR (year = 1999 AND title > 'Dune')
           OR (year = 1999 AND title = 'Dune' AND id > 42))
    ORDER BY year DESC, title ASC, id ASC LIMIT 21

The expanded OR works for any mix of directions (a row comparison
`(a, b) > (x, y)` only for one direction); the leading `year <= 1999`
repeats what the OR implies, in a form a B-tree index on `year` can seek
to. The order always ends with the unique `id` (books.filters), so the
position is exact, and every ordered column is NOT NULL (NULLs would need
their own branch).

The cursor is the last row's sort values, the ordering they belong to and
the direction, signed with SECRET_KEY (django.core.signing): opaque to the
client, and a tampered or made-up cursor fails the signature check, a 422
instead of arbitrary values in a WHERE clause. `prev` cursors walk
backwards: the order is reversed, the rows are read, and flipped back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Field, Model, Q, QuerySet

from common.constraints import CURSOR_MAX_LENGTH
from common.errors import FieldError, ValidationFailed

# Separates cursors from every other use of SECRET_KEY's signatures.
_SIGNER = signing.Signer(salt="common.keyset.cursor")

MSG_CURSOR_INVALID = (
    "Not a valid cursor; use links.next or links.prev of an earlier answer unchanged."
)
MSG_CURSOR_OTHER_SORT = "This cursor belongs to another sort order; start again with cursor=."
MSG_CURSOR_WITH_PAGE = "Use either cursor or page, not both."

Direction = Literal["next", "prev"]


@dataclass(frozen=True)
class Cursor:
    """A position in one ordering: the sort values of one row, and which way to go."""

    ordering: tuple[str, ...]  # e.g. ("-year", "title", "id")
    values: tuple[Any, ...]  # JSON-safe: str, int (datetimes as ISO 8601 text)
    direction: Direction = "next"

    def encode(self) -> str:
        # Signer, not signing.dumps: no timestamp inside, so the same page
        # always links to the same cursor (cacheable, comparable in tests).
        payload = {"o": list(self.ordering), "v": list(self.values), "d": self.direction}
        return _SIGNER.sign_object(payload, compress=True)

    @classmethod
    def decode(cls, token: str) -> Cursor:
        """:raise ValidationFailed: on `cursor`, for anything we did not sign."""
        if len(token) > CURSOR_MAX_LENGTH:
            raise _invalid()
        try:
            payload = _SIGNER.unsign_object(token)
            ordering = tuple(str(name) for name in payload["o"])
            values = tuple(payload["v"])
            direction = payload["d"]
        except (signing.BadSignature, ValueError, TypeError, KeyError):
            raise _invalid() from None
        if direction not in ("next", "prev") or len(values) != len(ordering):
            raise _invalid()
        return cls(ordering=ordering, values=values, direction=direction)


@dataclass(frozen=True)
class CursorPageResult:
    """One keyset page: the items and the cursors on either side. No counts, by design."""

    items: list[Any]
    page_size: int
    next_cursor: str | None
    prev_cursor: str | None

    def meta(self) -> dict[str, int]:
        return {"page_size": self.page_size}


def _invalid() -> ValidationFailed:
    return ValidationFailed([FieldError("cursor", MSG_CURSOR_INVALID)])


def _split(name: str) -> tuple[str, bool]:
    """"-year" -> ("year", True): field name, descending?"""
    return (name[1:], True) if name.startswith("-") else (name, False)


def _after(ordering: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in `ordering`, index-friendly (see module doc)."""
    branches = Q()
    equal_so_far: dict[str, Any] = {}
    for name, value in zip(ordering, values, strict=True):
        field, descending = _split(name)
        branches |= Q(**equal_so_far, **{f"{field}__{'lt' if descending else 'gt'}": value})
        equal_so_far[field] = value
    first_field, first_descending = _split(ordering[0])
    leading = Q(**{f"{first_field}__{'lte' if first_descending else 'gte'}": values[0]})
    return leading & branches


def _reversed(ordering: Sequence[str]) -> tuple[str, ...]:
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)


def _position(model: type[Model], ordering: Sequence[str], values: Sequence[Any]) -> list[Any]:
    """The cursor's JSON values back to Python values of each column (ISO text -> datetime)."""
    try:
        return [
            _column(model, name).to_python(value)
            for name, value in zip(ordering, values, strict=True)
        ]
    except (ValidationError, ValueError, TypeError):
        raise _invalid() from None


def _column(model: type[Model], name: str) -> Field[Any, Any]:
    """The concrete column an ordering entry names (never a reverse relation)."""
    field = model._meta.get_field(_split(name)[0])
    # The orderings are the code's own (never a client's), all of columns.
    assert isinstance(field, Field), f"{name!r} orders by a relation, not a column"
    return field


def values_of(item: Model, ordering: Sequence[str]) -> tuple[Any, ...]:
    values = []
    for name in ordering:
        value = getattr(item, _split(name)[0])
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return tuple(values)


def keyset_page(
    queryset: QuerySet[Any], *, ordering: Sequence[str], page_size: int, cursor: Cursor | None
) -> CursorPageResult:
    """One page of `queryset` in `ordering` (which must end with a unique column).

    `cursor` None is the first page. One query of page_size + 1 rows: the
    extra row only tells whether there is a page beyond.

    :raise ValidationFailed: on `cursor`, when it was made for another ordering.
    """
    ordering = tuple(ordering)
    backwards = cursor is not None and cursor.direction == "prev"
    if cursor is not None:
        if cursor.ordering != ordering:
            raise ValidationFailed([FieldError("cursor", MSG_CURSOR_OTHER_SORT)])
        walk = _reversed(ordering) if backwards else ordering
        queryset = queryset.filter(_after(walk, _position(queryset.model, ordering,
                                                          cursor.values)))
    walk = _reversed(ordering) if backwards else ordering
    rows = list(queryset.order_by(*walk)[: page_size + 1])
    more = len(rows) > page_size
    items = rows[:page_size]
    if backwards:
        items.reverse()

    def cursor_at(item: Model, direction: Direction) -> str:
        return Cursor(ordering, values_of(item, ordering), direction).encode()

    # Forwards, a page reached by a cursor has rows before it (at least the
    # one the cursor points at); backwards, the page we came from is after.
    has_next = not backwards and more or backwards
    has_prev = backwards and more or (cursor is not None and not backwards)
    return CursorPageResult(
        items=items,
        page_size=page_size,
        next_cursor=cursor_at(items[-1], "next") if items and has_next else None,
        prev_cursor=cursor_at(items[0], "prev") if items and has_prev else None,
    )
