"""Reads of books: what every framework calls for GET /books and GET /books/{id}.

Selectors return model instances or querysets; each framework serializes
them its own way. "Not there" is `None`: the API layer decides it is a 404.
Books are public, so there is no visibility rule (and no `actor`) here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from books.filters import DEFAULT_SORT, BookFilterSet, order_by_fields
from books.models import Book
from common.constraints import BOOK_LIST_INTEGERS, BOOK_LIST_PARAMS
from common.errors import FieldError, ValidationFailed
from common.keyset import MSG_CURSOR_OTHER_SORT, Cursor, CursorPageResult, keyset_page
from common.pagination import (
    PageParams,
    PageResult,
    cursor_param_errors,
    page_param_errors,
    paginate,
)
from common.query import check_query_shape

# The largest primary key a BIGINT holds: a bigger id in a URL is simply not
# found, instead of an out-of-range error from the database.
MAX_ID = 2**63 - 1


def book_get(*, book_id: int) -> Book | None:
    if not 0 < book_id <= MAX_ID:
        return None
    return Book.objects.filter(pk=book_id).first()


@dataclass(frozen=True)
class _ListParams:
    filterset: BookFilterSet
    page: PageParams
    # Keyset paging was asked for (`?cursor=`, maybe empty: the first page).
    cursor_mode: bool
    cursor: Cursor | None

    @property
    def ordering(self) -> list[str]:
        return order_by_fields(self.filterset.form.cleaned_data.get("sort") or DEFAULT_SORT)


def _parse_list_params(params: Mapping[str, str]) -> _ListParams:
    # Filters and paging are validated together so one 422 names every bad
    # parameter, filters first (in declaration order), then page, page_size,
    # cursor.
    check_query_shape(params, names=BOOK_LIST_PARAMS, integers=BOOK_LIST_INTEGERS)
    # The stubs want a dict or a QueryDict; a form only reads its data (`get`,
    # `getlist` when there), and every framework passes a QueryDict anyway.
    filterset = BookFilterSet(data=cast("dict[str, Any]", params), queryset=Book.objects.all())
    errors = [] if filterset.is_valid() else filterset.field_errors()
    page_params, page_errors = page_param_errors(params)
    errors.extend(page_errors)
    cursor, cursor_mode, cursor_errors = cursor_param_errors(params)
    errors.extend(cursor_errors)
    if errors or page_params is None:
        raise ValidationFailed(errors)
    parsed = _ListParams(filterset, page_params, cursor_mode, cursor)
    # Checked with the other parameters, so one 422 names it (keyset_page
    # checks again): a refused answer is never stored, so no cached page can
    # answer a cursor made for another order either.
    if cursor is not None and cursor.ordering != tuple(parsed.ordering):
        raise ValidationFailed([FieldError("cursor", MSG_CURSOR_OTHER_SORT)])
    return parsed


def book_page(*, params: Mapping[str, str]) -> PageResult | CursorPageResult:
    """One page of the list (page number or cursor), from the database.

    The read cache sits in front of this, at the HTTP layer: it stores the
    rendered body (books/cache.py, books/fast_read.py), so a hit never comes here.

    :raise ValidationFailed: bad filter, sort, paging or cursor parameters.
    """
    return _page(_parse_list_params(params))


def _page(parsed: _ListParams) -> PageResult | CursorPageResult:
    if parsed.cursor_mode:
        return keyset_page(
            parsed.filterset.qs,
            ordering=parsed.ordering,
            page_size=parsed.page.page_size,
            cursor=parsed.cursor,
        )
    return paginate(parsed.filterset.qs, parsed.page)
