"""Reads of books: what every framework calls for GET /books and GET /books/{id}.

Selectors return model instances or querysets; each framework serializes
them its own way. "Not there" is `None`: the API layer decides it is a 404.
Books are public, so there is no visibility rule (and no `actor`) here.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet

from books.cache import book_cache, digest
from books.filters import BookFilterSet, book_filterset
from books.models import Book
from common.constraints import BOOK_LIST_INTEGERS, BOOK_LIST_PARAMS
from common.errors import ValidationFailed
from common.pagination import PageParams, PageResult, page_param_errors, paginate
from common.query import check_query_shape

# The largest primary key a BIGINT holds: a bigger id in a URL is simply not
# found, instead of an out-of-range error from the database.
MAX_ID = 2**63 - 1


def book_list(*, params: Mapping[str, str]) -> QuerySet[Book]:
    """Books matching the query parameters, in the requested order.

    :raise ValidationFailed: a bad filter or sort parameter (one detail each).
    """
    return book_filterset(params).qs


def book_get(*, book_id: int) -> Book | None:
    if not 0 < book_id <= MAX_ID:
        return None
    return Book.objects.filter(pk=book_id).first()


def _parse_list_params(params: Mapping[str, str]) -> tuple[BookFilterSet, PageParams]:
    # Filters and paging are validated together so one 422 names every bad
    # parameter, filters first (in declaration order), then page, page_size.
    check_query_shape(params, names=BOOK_LIST_PARAMS, integers=BOOK_LIST_INTEGERS)
    filterset = BookFilterSet(data=params, queryset=Book.objects.all())
    errors = [] if filterset.is_valid() else filterset.field_errors()
    page_params, page_errors = page_param_errors(params)
    errors.extend(page_errors)
    if errors or page_params is None:
        raise ValidationFailed(errors)
    return filterset, page_params


def book_page_cached(*, params: Mapping[str, str]) -> tuple[PageResult, bool]:
    """One page of the list, from the cache when possible: `(page, hit)`.

    Parameters are validated before the cache is consulted, so a bad request
    is a 422 whether or not the cache is up, and nothing invalid is cached.
    The key is built from the *normalised* parameters plus page and size.

    :raise ValidationFailed: bad filter, sort or paging parameters.
    """
    filterset, page_params = _parse_list_params(params)
    key_params = {
        **filterset.canonical_params(),
        "page": page_params.page,
        "page_size": page_params.page_size,
    }
    return book_cache.get_or_compute(
        ("list", digest(key_params)), lambda: paginate(filterset.qs, page_params)
    )


def book_get_cached(*, book_id: int) -> tuple[Book | None, bool]:
    """One book (or None), from the cache when possible: `(book, hit)`.

    Misses are cached too: a flood of requests for a missing id costs one
    query per version, and creating that book bumps the version anyway.
    """
    if not 0 < book_id <= MAX_ID:
        return None, False
    return book_cache.get_or_compute(
        ("detail", str(book_id)), lambda: book_get(book_id=book_id)
    )
