"""DRF pagination classes writing the contract's envelope: page numbers, or a keyset cursor.

    GET /api/drf/books?page=2&page_size=20      -> PageNumberEnvelopePagination
    GET /api/drf/books?cursor=&page_size=20     -> KeysetCursorPagination

    {"data": [...], "meta": {...}, "links": {"self": ..., "next": ..., "prev": ...}}

Each is a `BasePagination` with DRF's two hooks, `paginate_queryset` and
`get_paginated_response`, as `rest_framework/pagination.py`'s
PageNumberPagination and CursorPagination are; the counting, slicing and
cursor arithmetic are the shared code every framework pages with
(common/pagination.py, common/keyset.py), so the bytes are the same at every
prefix. `EnvelopePagination`, a view's `pagination_class`, picks one per
request: `?cursor=` asks for keyset paging.

Bad parameters are DRF `ValidationError`s naming the parameter; the view
collects them with the filters' (`query_errors`), so one 422 names them all.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from common.constraints import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from common.keyset import MSG_CURSOR_OTHER_SORT, CursorPageResult, keyset_page
from common.pagination import (
    PageParams,
    PageResult,
    cursor_param_errors,
    page_links,
    page_param_errors,
    paginate,
)

# Django's IntegerField (and int()) read "２" and "2.0" as numbers; a query
# parameter the document calls an integer is ASCII digits.
_ASCII_INTEGER = re.compile(r"-?[0-9]+")
MSG_NOT_AN_INTEGER = "A valid integer is required."

Errors = dict[str, list[str]]


class _EnvelopePaginationBase(BasePagination):
    page_query_param = "page"
    page_size_query_param = "page_size"
    # The page size when the client names none, and the most it may ask for.
    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE

    request: Request
    result: PageResult | CursorPageResult

    def query_errors(self, request: Request) -> Errors:
        """What is wrong with this request's paging parameters ({} if nothing)."""
        params = request.query_params
        errors: Errors = {
            name: [MSG_NOT_AN_INTEGER]
            for name in (self.page_query_param, self.page_size_query_param)
            if name in params and not _ASCII_INTEGER.fullmatch(params[name].strip())
        }
        _, page_errors = page_param_errors(params)
        _, _, cursor_errors = cursor_param_errors(params)
        for error in [*page_errors, *cursor_errors]:
            errors.setdefault(error.field, [error.message])
        return errors

    def page_params(self, request: Request) -> PageParams:
        errors = self.query_errors(request)
        parsed, _ = page_param_errors(request.query_params)
        if errors or parsed is None:
            raise ValidationError(errors)
        return parsed

    def get_paginated_response(self, data: Any) -> Response:
        url = self.request.build_absolute_uri(self.request.path)
        links = page_links(url, self.request.query_params, self.result)
        return Response({"data": data, "meta": self.result.meta(), "links": links})


class PageNumberEnvelopePagination(_EnvelopePaginationBase):
    """`?page=4&page_size=20`: counted pages (the total may be an estimate on large lists)."""

    def paginate_queryset(  # type: ignore[override]  # a queryset, never a plain sequence
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.result = paginate(queryset, self.page_params(request))
        return list(self.result.items)


class KeysetCursorPagination(_EnvelopePaginationBase):
    """`?cursor=<token>`: keyset pages in the queryset's own order (`cursor=` starts).

    The order is the one the filter backends set (`queryset.query.order_by`);
    a cursor made under another order is refused rather than misread.
    """

    def paginate_queryset(  # type: ignore[override]  # a queryset, never a plain sequence
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        params = self.page_params(request)
        cursor, _, _ = cursor_param_errors(request.query_params)
        ordering = [str(field) for field in queryset.query.order_by] or ["id"]
        if cursor is not None and cursor.ordering != tuple(ordering):
            raise ValidationError({"cursor": [MSG_CURSOR_OTHER_SORT]})
        self.result = keyset_page(
            queryset, ordering=ordering, page_size=params.page_size, cursor=cursor
        )
        return list(self.result.items)


class EnvelopePagination(BasePagination):
    """A list's `pagination_class`: keyset pages for `?cursor=`, numbered pages otherwise."""

    # The browsable API's page controls come from the body (drf_support/browsable.py).
    display_page_controls = False

    def __init__(self) -> None:
        self.chosen: _EnvelopePaginationBase = PageNumberEnvelopePagination()

    def query_errors(self, request: Request) -> Errors:
        return self.chosen.query_errors(request)

    def paginate_queryset(  # type: ignore[override]  # a queryset, never a plain sequence
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        if "cursor" in request.query_params:
            self.chosen = KeysetCursorPagination()
        return self.chosen.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return self.chosen.get_paginated_response(data)

