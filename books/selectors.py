"""Reads of one book: what every framework calls for GET /books/{id}.

The list is `books.listing.book_list` (each framework pages its queryset).
Selectors return model instances; each framework serializes them its own
way. "Not there" is `None`: the API layer decides it is a 404.
Books are public, so there is no visibility rule (and no `actor`) here.
"""

from __future__ import annotations

from books.models import Book

# The largest primary key a BIGINT holds: a bigger id in a URL is simply not
# found, instead of an out-of-range error from the database.
MAX_ID = 2**63 - 1


def book_get(*, book_id: int) -> Book | None:
    if not 0 < book_id <= MAX_ID:
        return None
    return Book.objects.filter(pk=book_id).first()
