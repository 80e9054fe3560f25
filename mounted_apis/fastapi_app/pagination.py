"""Request-side helpers of the shared pagination (common.pagination).

Query parameters reach the domain as a Django QueryDict parsed from the raw
query string, exactly what DRF's `request.query_params` is: the same
decoding, the same "last value wins" for repeated names, hence the same
FilterSet messages and the same `links`.
"""

from __future__ import annotations

from django.http import QueryDict
from fastapi import Request

from common.keyset import CursorPageResult
from common.pagination import PageResult, page_links

from .schemas import PageLinks, PageMeta


def query_params(request: Request) -> QueryDict:
    return QueryDict(request.scope.get("query_string", b""))


def absolute_path_url(request: Request) -> str:
    """scheme://host/prefix/path without the query: DRF's build_absolute_uri(request.path)."""
    return str(request.url.replace(query="", fragment=""))


def page_meta_and_links(
    request: Request, params: QueryDict, result: PageResult | CursorPageResult
) -> tuple[PageMeta, PageLinks]:
    links = page_links(absolute_path_url(request), params, result)
    # Validated from the dicts the other frameworks render as they are.
    return PageMeta.model_validate(result.meta()), PageLinks.model_validate(links)
