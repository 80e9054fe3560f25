"""Paging a queryset for a FastAPI list: page numbers or a keyset cursor, and the links.

    page = paginate_request(request, queryset, ordering, page=2, page_size=20, cursor=None)

The counting, slicing and cursors are `common.pagination` and `common.keyset`,
shared with the other prefixes; this module only reads what FastAPI holds:
the validated numbers, and the query string as the client wrote it (the
links keep every other parameter in its order and spelling).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from fastapi import Request

from common.errors import FieldError, ValidationFailed
from common.keyset import MSG_CURSOR_WITH_PAGE, Cursor, CursorPageResult, keyset_page
from common.pagination import PageParams, PageResult, page_links, paginate

from .schemas import PageLinks, PageMeta

ListPage = PageResult | CursorPageResult


def list_page(
    queryset: QuerySet[Any],
    *,
    ordering: Sequence[str],
    page: int | None,
    page_size: int,
    cursor: str | None,
) -> ListPage:
    """One page: by number, or (`cursor` given, maybe empty) by keyset.

    :raise ValidationFailed: on `cursor`: with `page`, not one of ours, or
        made for another sort order.
    """
    if cursor is None:
        return paginate(queryset, PageParams(page=page or 1, page_size=page_size))
    if page is not None:
        raise ValidationFailed([FieldError("cursor", MSG_CURSOR_WITH_PAGE)])
    position = Cursor.decode(cursor) if cursor else None
    return keyset_page(queryset, ordering=ordering, page_size=page_size, cursor=position)


def meta_and_links(request: Request, result: ListPage) -> tuple[PageMeta, PageLinks]:
    """`meta` and `links` of a list answer, with absolute URLs."""
    url = str(request.url.replace(query="", fragment=""))
    links = page_links(url, request.query_params, result)
    return PageMeta.model_validate(result.meta()), PageLinks.model_validate(links)
