"""Page-number pagination shared by every list endpoint of every framework.

    GET /api/drf/books?page=2&page_size=20&sort=year:desc

    {"data": [...], "meta": {"page": 2, "page_size": 20, "total": 154, "pages": 8},
     "links": {"self": "...page=2", "next": "...page=3", "prev": "...page=1"}}

The query parameters are parsed by a small Django form, so a bad `page` gets
Django's own message ("Enter a whole number.") whichever framework asked.
OFFSET pagination costs O(offset) on large tables (docs/measurements.md,
"Searches and deep pages"), so numbered pages stop at PAGE_ROWS_MAX rows
(page * page_size): a deeper page is a 422 on `page` that points at
`?cursor=` (common.keyset, whose CursorPageResult `page_links` and `meta()`
accept as well). On a list that offers cursors (CURSOR_PAGED_MODELS) the last
numbered page's `links.next` is already a cursor that continues after its
last row, so a client following links never meets the bound. Totals come from
common.counting: exact on small lists, an estimate on large ones, flagged
`"total_is_estimate": true` (the key is absent when the total is exact).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet

from common.constraints import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PAGE_MIN, PAGE_ROWS_MAX
from common.counting import count_rows
from common.errors import FieldError, ValidationFailed
from common.keyset import MSG_CURSOR_WITH_PAGE, Cursor, CursorPageResult, values_of

MSG_PAGE_TOO_DEEP = (
    f"Numbered pages reach the first {PAGE_ROWS_MAX} rows (page * page_size); "
    "page further with cursor= where the list offers it (follow links.next, or start "
    "with an empty cursor= and the same filters), or narrow the list with its filters."
)

# The lists (by model label) that also page by `?cursor=` (common.keyset): the
# last numbered page before the bound links on with a cursor. Any other list
# ends there (`links.next` null): its clients narrow it with filters.
CURSOR_PAGED_MODELS = frozenset({"books.Book"})


class PageParamsForm(forms.Form):
    """`page` >= 1 and `page_size` 1..MAX_PAGE_SIZE; both optional."""

    page = forms.IntegerField(required=False, min_value=PAGE_MIN)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)


@dataclass(frozen=True)
class PageParams:
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def too_deep(self) -> bool:
        """Past the rows numbered pages reach (the OFFSET would cost more than a cursor)."""
        return self.page * self.page_size > PAGE_ROWS_MAX


@dataclass(frozen=True)
class PageResult:
    """One page: the items (model instances, serialized by each framework) and counts.

    Plain data, so it pickles into the cache as it is.
    """

    items: list[Any]
    page: int
    page_size: int
    total: int
    pages: int
    # True when `total` (hence `pages`) is the planner's estimate.
    total_is_estimate: bool = False
    # On the last page numbers reach, when rows follow: the cursor after its
    # last row, which `links.next` offers instead of a page number past the bound.
    next_cursor: str | None = None

    def meta(self) -> dict[str, Any]:
        """The `meta` object of the response body."""
        meta: dict[str, Any] = {
            "page": self.page,
            "page_size": self.page_size,
            "total": self.total,
            "pages": self.pages,
        }
        if self.total_is_estimate:
            meta["total_is_estimate"] = True
        return meta


def page_param_errors(params: Mapping[str, str]) -> tuple[PageParams | None, list[FieldError]]:
    """Parse `page`/`page_size`, returning errors instead of raising.

    Callers that validate other query parameters too (accounts.selectors) merge
    these errors with theirs into one 422.
    """
    form = PageParamsForm(data={name: params[name] for name in ("page", "page_size")
                                if name in params})
    if not form.is_valid():
        # ErrorList[i] is a message (a str or a lazy translation), never the
        # ValidationError the stubs also allow: str() makes it plain text.
        errors = [FieldError(name, str(form.errors[name][0])) for name in form.fields
                  if name in form.errors]
        return None, errors
    data = form.cleaned_data
    page_params = PageParams(
        page=data["page"] if data["page"] is not None else 1,
        page_size=data["page_size"] if data["page_size"] is not None else DEFAULT_PAGE_SIZE,
    )
    if page_params.too_deep:
        return None, [FieldError("page", MSG_PAGE_TOO_DEEP)]
    return page_params, []


def cursor_param_errors(params: Mapping[str, str]) -> tuple[Cursor | None, bool, list[FieldError]]:
    """`(cursor, cursor_mode, errors)` from `?cursor=`; for lists that offer keyset paging.

    `?cursor=` with an empty value starts cursor paging at the first page;
    a non-empty one must be a cursor from an earlier answer. `page` and
    `cursor` together are refused: they are two ways to say where to start.
    """
    if "cursor" not in params:
        return None, False, []
    if "page" in params:
        return None, True, [FieldError("cursor", MSG_CURSOR_WITH_PAGE)]
    token = params["cursor"]
    if not token:
        return None, True, []
    try:
        return Cursor.decode(token), True, []
    except ValidationFailed as failed:
        return None, True, list(failed.details)


def paginate(queryset: QuerySet[Any], page_params: PageParams) -> PageResult:
    """Count, then slice. A page past the end is an empty page, not an error.

    :raise ValidationFailed: on `page`, past PAGE_ROWS_MAX rows (page_param_errors
        says so first for callers that parse with it; this holds for every caller).
    """
    if page_params.too_deep:
        raise ValidationFailed([FieldError("page", MSG_PAGE_TOO_DEEP)])
    count = count_rows(queryset)
    if count.estimated:
        result = _paginate_estimated(queryset, page_params, count.total)
    else:
        total = count.total
        if page_params.offset >= total:
            items: list[Any] = []  # no query: we already know there is nothing there
        else:
            items = list(queryset[page_params.offset : page_params.offset + page_params.page_size])
        result = PageResult(
            items=items,
            page=page_params.page,
            page_size=page_params.page_size,
            total=total,
            pages=math.ceil(total / page_params.page_size),
        )
    return _with_cursor_past_bound(queryset, result)


def _with_cursor_past_bound(queryset: QuerySet[Any], result: PageResult) -> PageResult:
    """`result` with `next_cursor` set when its next page lies past the bound and has rows.

    The cursor is made in the queryset's own order (`query.order_by`, which
    every list ends with its unique `id`), as a keyset page reading it expects.
    """
    next_page = PageParams(page=result.page + 1, page_size=result.page_size)
    ordering = tuple(str(name) for name in queryset.query.order_by)
    if not (next_page.too_deep and result.page < result.pages and result.items and ordering
            and queryset.model._meta.label in CURSOR_PAGED_MODELS):
        return result
    cursor = Cursor(ordering, values_of(result.items[-1], ordering), "next")
    return replace(result, next_cursor=cursor.encode())


def _paginate_estimated(
    queryset: QuerySet[Any], page_params: PageParams, estimate: int
) -> PageResult:
    """A page when the total is only an estimate: the rows themselves settle `links.next`.

    An estimate can be too high (on 200,000 books a search estimated at
    10,015 rows holds 7,463), so it must never be what offers a next page:
    a client following `links.next` would walk into empty pages. Hence:

    - one row past the page is read: if it is there, a next page exists
      whatever the estimate says (the total is raised to at least that);
    - if it is not, this is the last page, and the total is known exactly
      after all (the rows before it plus the rows on it);
    - a page with no rows at all lies past the last real row: the rows before
      it are counted (a COUNT over at most `offset` rows, the same order of
      work as the OFFSET just paid: on 200,000 books, `search=citadel`
      past its last page, 24-40 ms for the count against 34-56 ms for the
      page read, on a loaded 2-core machine), so the total is exact, `next`
      is absent and `prev` leads back to the last page that has rows.
    """
    start, size = page_params.offset, page_params.page_size
    rows = list(queryset[start : start + size + 1])
    items, more = rows[:size], len(rows) > size
    if more:
        # At least this page and one more, even if the estimate says fewer.
        total, estimated = max(estimate, start + size + 1), True
    elif items:
        total, estimated = start + len(items), False
    else:
        # order_by(): the count needs no sort (see common.counting).
        total, estimated = queryset.order_by()[:start].count(), False
    return PageResult(
        items=items,
        page=page_params.page,
        page_size=size,
        total=total,
        pages=math.ceil(total / size),
        total_is_estimate=estimated,
    )


def _url(base: str, query: Mapping[str, str], page: int) -> str:
    # Keep every other parameter (filters, sort, page_size) in its original
    # order and spelling; only `page` changes.
    pairs = [(name, value) for name, value in query.items() if name != "page"]
    pairs.append(("page", str(page)))
    return f"{base}?{urlencode(pairs)}"


def _cursor_url(base: str, query: Mapping[str, str], cursor: str) -> str:
    # `page` goes too: the last numbered page links to a cursor (paginate).
    pairs = [(name, value) for name, value in query.items() if name not in ("cursor", "page")]
    pairs.append(("cursor", cursor))
    return f"{base}?{urlencode(pairs)}"


def page_links(
    url_without_query: str, query: Mapping[str, str], result: PageResult | CursorPageResult
) -> dict[str, str | None]:
    """`self`, `next`, `prev` as absolute URLs with the same filters, or None at the ends.

    `url_without_query` is the absolute URL of the list (scheme, host, path),
    each framework builds it its own way. From a page past the end, `prev`
    leads back to the last page that has items. A cursor page links to
    cursors (`self` repeats the request's own), a numbered page to numbers.
    """
    if isinstance(result, CursorPageResult):
        return {
            "self": _cursor_url(url_without_query, query, query.get("cursor", "")),
            "next": result.next_cursor and _cursor_url(url_without_query, query,
                                                       result.next_cursor),
            "prev": result.prev_cursor and _cursor_url(url_without_query, query,
                                                       result.prev_cursor),
        }
    next_url = None
    if result.next_cursor:
        next_url = _cursor_url(url_without_query, query, result.next_cursor)
    elif result.page < result.pages and not PageParams(result.page + 1,
                                                        result.page_size).too_deep:
        next_url = _url(url_without_query, query, result.page + 1)
    prev_url = None
    if result.page > 1:
        prev_url = _url(url_without_query, query, min(result.page - 1, max(result.pages, 1)))
    return {
        "self": _url(url_without_query, query, result.page),
        "next": next_url,
        "prev": prev_url,
    }
