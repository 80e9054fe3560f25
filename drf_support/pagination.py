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
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.template import loader
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, PageLink
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from common.constraints import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PAGE_ROWS_MAX
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
    # The browsable API draws `to_html()` when this is true (set once a page is read).
    display_page_controls = False

    def get_results(self, data: dict[str, Any]) -> list[Any]:
        """The items of a page's body (DRF's browsable API asks, to tell a list page)."""
        return list(data["data"])

    def query_errors(self, request: Request) -> Errors:
        """What is wrong with this request's paging parameters ({} if nothing)."""
        params = request.query_params
        errors: Errors = {
            name: [MSG_NOT_AN_INTEGER]
            for name in (self.page_query_param, self.page_size_query_param)
            if name in params and not _ASCII_INTEGER.fullmatch(params[name].strip())
        }
        _, page_errors = page_param_errors(params)
        for error in page_errors:
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

    template = "rest_framework/pagination/numbers.html"

    def to_html(self) -> str:
        assert isinstance(self.result, PageResult)
        url = self.request.build_absolute_uri()
        # Numbered links stop at the page-depth bound (a deeper page is a 422);
        # from the last numbered page, "next" is the cursor the JSON links offer.
        last = min(self.result.pages, max(PAGE_ROWS_MAX // self.result.page_size, 1))
        current = min(self.result.page, last)
        links = page_links_around(current, last, lambda n: replace_query_param(url, "page", n))
        next_url: str | bool = current < last and replace_query_param(url, "page", current + 1)
        if self.result.next_cursor:
            list_url = self.request.build_absolute_uri(self.request.path)
            next_url = page_links(list_url, self.request.query_params, self.result)["next"] or False
        context = {"previous_url": current > 1 and replace_query_param(url, "page", current - 1),
                   "next_url": next_url, "page_links": links}
        return loader.render_to_string(self.template, context)

    def paginate_queryset(  # type: ignore[override]  # a queryset, never a plain sequence
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.result = paginate(queryset, self.page_params(request))
        self.display_page_controls = self.result.pages > 1
        return list(self.result.items)


class KeysetCursorPagination(_EnvelopePaginationBase):
    """`?cursor=<token>`: keyset pages in the queryset's own order (`cursor=` starts).

    The order is the one the filter backends set (`queryset.query.order_by`);
    a cursor made under another order is refused rather than misread.
    """

    template = "rest_framework/pagination/previous_and_next.html"

    def to_html(self) -> str:
        assert isinstance(self.result, CursorPageResult)
        url = self.request.build_absolute_uri(self.request.path)
        links = page_links(url, self.request.query_params, self.result)
        context = {"previous_url": links["prev"], "next_url": links["next"]}
        return loader.render_to_string(self.template, context)

    def query_errors(self, request: Request) -> Errors:
        errors = super().query_errors(request)
        _, _, cursor_errors = cursor_param_errors(request.query_params)
        for error in cursor_errors:
            errors.setdefault(error.field, [error.message])
        return errors

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
        self.display_page_controls = bool(self.result.next_cursor or self.result.prev_cursor)
        return list(self.result.items)


def page_links_around(
    current: int, last: int, page_url: Callable[[int], str]
) -> list[PageLink]:
    """The numbered links of DRF's pagination template: 1 2 … 7 [8] 9 … 19 20."""
    shown = {1, 2, current - 1, current, current + 1, last - 1, last} & set(range(1, last + 1))
    links: list[PageLink] = []
    previous = 0
    for number in sorted(shown):
        if number > previous + 1:
            links.append(PageLink(url=None, number=None, is_active=False, is_break=True))
        links.append(PageLink(url=page_url(number), number=number, is_active=number == current,
                              is_break=False))
        previous = number
    return links


class EnvelopePagination(BasePagination):
    """A list's `pagination_class`: keyset pages for `?cursor=`, numbered pages otherwise.

    (A list without keyset paging, such as GET /users, uses
    PageNumberEnvelopePagination directly.)
    """

    def __init__(self) -> None:
        self.chosen: _EnvelopePaginationBase = PageNumberEnvelopePagination()

    @property
    def display_page_controls(self) -> bool:  # type: ignore[override]
        return self.chosen.display_page_controls

    def get_results(self, data: dict[str, Any]) -> list[Any]:
        return self.chosen.get_results(data)

    def to_html(self) -> str:
        return self.chosen.to_html()

    def query_errors(self, request: Request) -> Errors:
        # The cursor's own checks too, so `?cursor=bad&page=0` names both.
        return KeysetCursorPagination().query_errors(request)

    def paginate_queryset(  # type: ignore[override]  # a queryset, never a plain sequence
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        if "cursor" in request.query_params:
            self.chosen = KeysetCursorPagination()
        return self.chosen.paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        return self.chosen.get_paginated_response(data)

