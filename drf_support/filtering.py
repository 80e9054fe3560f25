"""A list view's query parameters checked together: one 422 names every bad one.

    class BookViewSet(CheckedListQuery, viewsets.GenericViewSet):
        list_query_names = BOOK_LIST_PARAMS          # each given at most once
        list_query_integers = BOOK_LIST_INTEGERS     # and never empty

DRF runs the filter backends one after another in `filter_queryset`, and the
paginator reads its own parameters later: a request with a bad filter and a
bad page would hear about the filter only. This mixin collects the filter
backends' `ValidationError` and the paginator's `query_errors()` into one,
as FastAPI and Flask report every bad parameter of a request at once.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from common.query import check_query_shape


class CheckedListQuery:
    """`filter_queryset` that also checks the shape of the query and the paging parameters."""

    # The list's parameters, and those of them that are integers.
    list_query_names: tuple[str, ...] = ()
    list_query_integers: tuple[str, ...] = ()

    # `request` and `paginator` are GenericAPIView's, which this mixin precedes.

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        request: Request = self.request  # type: ignore[attr-defined]
        paginator: Any = self.paginator  # type: ignore[attr-defined]
        if not _is_browser(request):
            # The browsable API's filter form sends every field, the empty ones
            # too: for that page an empty field means "not given".
            check_query_shape(request.query_params, names=self.list_query_names,
                              integers=self.list_query_integers)
        errors: dict[str, Any] = {}
        try:
            queryset = super().filter_queryset(queryset)  # type: ignore[misc]
        except ValidationError as exc:
            errors.update(exc.detail if isinstance(exc.detail, dict) else {})
        if paginator is not None and hasattr(paginator, "query_errors"):
            for name, messages in paginator.query_errors(request).items():
                errors.setdefault(name, messages)
        if errors:
            raise ValidationError(errors)
        return queryset


def _is_browser(request: Request) -> bool:
    return not isinstance(getattr(request, "accepted_renderer", None), JSONRenderer)
