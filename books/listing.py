"""The book list as the domain sees it: filters, an allowlisted sort, a queryset.

    book_list(filters=BookFilters(search="tolkien", year_from=1950),
              sort=parse_sort("year:desc,title"))

Every framework parses its query string in its own way (DRF with django-filter,
FastAPI with a Pydantic model, Flask by hand) into these values, then calls
`book_list`; paging is each framework's too, over the queryset this returns
(`common.pagination`, `common.keyset`). The rules a client can break are here
once: which fields sort, which directions exist, what a search matches,
and which searches are too short to answer quickly (`search_run_error`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from books.models import Book
from common.constraints import SEARCH_RUN_MIN, SORT_DIRECTIONS, SORT_FIELDS
from common.errors import FieldError, ValidationFailed

# (("year", "desc"), ("title", "asc")): the parsed `sort` parameter.
SortSpec = tuple[tuple[str, str], ...]
DEFAULT_SORT: SortSpec = (("id", "asc"),)

MSG_SORT_FIELD = '"{field}" is not a sortable field; use one of: {allowed}.'
MSG_SORT_DIRECTION = '"{direction}" is not a sort direction; use asc or desc.'
MSG_SORT_REPEATED = '"{field}" appears more than once.'
MSG_SEARCH_TOO_SHORT = (
    f"Search for at least {SEARCH_RUN_MIN} letters or digits in a row; "
    "shorter text matches too widely to look up in the index."
)


class SortInvalid(ValueError):
    """A `sort` value outside the allowlist; the message says what to fix."""


def parse_sort(text: str) -> SortSpec:
    """"year:desc,title" -> (("year", "desc"), ("title", "asc")).

    A field outside SORT_FIELDS, a direction other than asc/desc (an empty one
    included: "title:"), an empty item or a repeated field raises SortInvalid
    naming the first bad item. A client's string never reaches ORDER BY.
    """
    spec: list[tuple[str, str]] = []
    for item in text.split(","):
        field, colon, direction = item.strip().partition(":")
        if not colon:
            direction = "asc"
        if field not in SORT_FIELDS:
            raise SortInvalid(MSG_SORT_FIELD.format(field=field, allowed=", ".join(SORT_FIELDS)))
        if direction not in SORT_DIRECTIONS:
            raise SortInvalid(MSG_SORT_DIRECTION.format(direction=direction))
        if any(field == seen for seen, _ in spec):
            raise SortInvalid(MSG_SORT_REPEATED.format(field=field))
        spec.append((field, direction))
    return tuple(spec)


def order_by_fields(spec: SortSpec) -> list[str]:
    """ORM `order_by` arguments, with `id` appended as the tie-break.

    Without a unique last key, rows with equal titles could swap places
    between two page requests and a client would see one twice, another never.
    """
    fields = [f"-{field}" if direction == "desc" else field for field, direction in spec]
    if not any(field == "id" for field, _ in spec):
        fields.append("id")
    return fields


@dataclass(frozen=True)
class BookFilters:
    """What a client may filter on; None means "not filtered"."""

    search: str | None = None  # title or author contains, case-insensitive
    title_contains: str | None = None
    author: str | None = None  # case-insensitive exact
    year_from: int | None = None  # inclusive
    year_to: int | None = None  # inclusive


def search_run_error(name: str, text: str) -> FieldError | None:
    """A FieldError on `name` when `text` is too short to search quickly, else None.

    Contains-searches are answered from trigram indexes (books migration
    0002), and pg_trgm makes trigrams only from runs of letters and digits:
    "ab", "a-b" or "x y" give it nothing to look up, and the search becomes a
    scan of the whole table (0.1-1 s at a million books, docs/measurements.md).
    So a search must hold SEARCH_RUN_MIN letters or digits in a row, on every
    database: the contract is the same on SQLite.
    """
    run = 0
    for char in text:
        run = run + 1 if char.isalnum() else 0
        if run >= SEARCH_RUN_MIN:
            return None
    return FieldError(name, MSG_SEARCH_TOO_SHORT)


def _check_search_run(name: str, text: str) -> None:
    error = search_run_error(name, text)
    if error is not None:
        raise ValidationFailed([error])


def search_books(queryset: QuerySet[Book], text: str) -> QuerySet[Book]:
    """Books whose title or author contains `text`, case-insensitive.

    :raise ValidationFailed: on `search`, when `text` is too short (search_run_error).
    """
    _check_search_run("search", text)
    # On PostgreSQL, icontains is UPPER(col) LIKE UPPER(%s): the trigram
    # GIN indexes of migration 0002 serve both sides of the OR.
    return queryset.filter(Q(title__icontains=text) | Q(author__icontains=text))


def title_contains_books(queryset: QuerySet[Book], text: str) -> QuerySet[Book]:
    """Books whose title contains `text`, case-insensitive.

    :raise ValidationFailed: on `title_contains`, when `text` is too short.
    """
    _check_search_run("title_contains", text)
    return queryset.filter(title__icontains=text)


def filter_books(queryset: QuerySet[Book], filters: BookFilters) -> QuerySet[Book]:
    """`queryset` narrowed by `filters` (an empty text filter is no filter).

    :raise ValidationFailed: a `search` or `title_contains` too short to look up.
    """
    if filters.search:
        queryset = search_books(queryset, filters.search)
    if filters.title_contains:
        queryset = title_contains_books(queryset, filters.title_contains)
    if filters.author:
        queryset = queryset.filter(author__iexact=filters.author)
    if filters.year_from is not None:
        queryset = queryset.filter(year__gte=filters.year_from)
    if filters.year_to is not None:
        queryset = queryset.filter(year__lte=filters.year_to)
    return queryset


def book_list(
    *, filters: BookFilters | None = None, sort: SortSpec = DEFAULT_SORT
) -> QuerySet[Book]:
    """Every book that matches `filters`, in `sort` order (ties broken by id)."""
    queryset = filter_books(Book.objects.all(), filters or BookFilters())
    return queryset.order_by(*order_by_fields(sort or DEFAULT_SORT))
