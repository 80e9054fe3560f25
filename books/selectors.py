"""Reads of books: what every framework calls for GET /books and GET /books/{id}.

Selectors return model instances or querysets; each framework serializes
them its own way. "Not there" is `None`: the API layer decides it is a 404.
Books are public, so there is no visibility rule (and no `actor`) here.
"""

from __future__ import annotations

from collections.abc import Mapping

from books.filters import BookFilterSet
from books.models import Book
from common.errors import ValidationFailed
from common.pagination import PageParams, PageResult, page_param_errors, paginate

# The largest primary key a BIGINT holds: a bigger id in a URL is simply not
# found, instead of an out-of-range error from the database.
MAX_ID = 2**63 - 1


def book_get(*, book_id: int) -> Book | None:
    if not 0 < book_id <= MAX_ID:
        return None
    return Book.objects.filter(pk=book_id).first()


def _parse_list_params(params: Mapping[str, str]) -> tuple[BookFilterSet, PageParams]:
    # Filters and paging are validated together so one 422 names every bad
    # parameter, filters first (in declaration order), then page, page_size.
    filterset = BookFilterSet(data=params, queryset=Book.objects.all())
    errors = [] if filterset.is_valid() else filterset.field_errors()
    page_params, page_errors = page_param_errors(params)
    errors.extend(page_errors)
    if errors or page_params is None:
        raise ValidationFailed(errors)
    return filterset, page_params


def book_page(*, params: Mapping[str, str]) -> PageResult:
    """One page of the list, from the database.

    The read cache sits in front of this, at the HTTP layer: it stores the
    rendered body (books/cache.py, books/fast_read.py), so a hit never comes here.

    :raise ValidationFailed: bad filter, sort or paging parameters.
    """
    filterset, page_params = _parse_list_params(params)
    return paginate(filterset.qs, page_params)
