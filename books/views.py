"""The DRF face of the books resource: /api/drf/books and /api/drf/books/{id}.

Each action does three things: parse (a nested InputSerializer that checks
presence and JSON types only), call a selector or service (which own every
rule), serialize (a nested OutputSerializer). Errors are raised, never built
here: `common.drf.exceptions.exception_handler` turns them into the envelope.

Check order, identical in every framework: authentication (401), body types
(422), the book exists (404), permission (403), values (422), uniqueness (409).

The OpenAPI decorations live at the bottom of the module, apart from the
behaviour they describe.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from books.models import Book
from books.selectors import book_get, book_get_cached, book_page_cached
from books.services import book_create, book_delete, book_update
from common.drf.fields import StrictCharField, StrictIntegerField
from common.drf.schema import PageLinksSerializer, PageMetaSerializer, error_responses
from common.drf.views import ApiViewSet, json_object
from common.errors import NotAuthenticated, NotFound
from common.openapi_text import BOOKS, CURSOR_PARAMETER
from common.pagination import page_links

# --- The view set -----------------------------------------------------------------


def _actor(request: Request) -> Any:
    # UNAUTHENTICATED_USER is None: anonymous requests have no user at all.
    if request.user is None:
        raise NotAuthenticated()
    return request.user


def _book_or_404(book_id: str) -> Book:
    book = book_get(book_id=int(book_id))
    if book is None:
        raise NotFound()
    return book


def _with_cache_header(body: dict[str, Any], hit: bool) -> Response:
    return Response(body, headers={"X-Cache": "HIT" if hit else "MISS"})


class BookViewSet(ApiViewSet):
    """Books: public reads (cached), authenticated writes."""

    # /books/{id}: the contract names the parameter `id`, and only digits
    # match, so /books/abc is the catch-all 404, not a failed int().
    lookup_field = "id"
    lookup_value_regex = r"[0-9]+"

    @extend_schema_serializer(component_name="BookInput")
    class InputSerializer(serializers.Serializer):
        title = StrictCharField()
        author = StrictCharField()
        year = StrictIntegerField()
        isbn = StrictCharField(required=False, allow_null=True)
        description = StrictCharField(required=False, allow_null=True)

    @extend_schema_serializer(component_name="Book")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        title = serializers.CharField()
        author = serializers.CharField()
        year = serializers.IntegerField()
        isbn = serializers.CharField(allow_null=True)
        description = serializers.CharField()
        created_by = serializers.IntegerField(source="created_by_id")
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    def _input(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.InputSerializer(data=json_object(request), partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def list(self, request: Request) -> Response:
        result, hit = book_page_cached(params=request.query_params)
        links = page_links(request.build_absolute_uri(request.path), request.query_params, result)
        data = self.OutputSerializer(result.items, many=True).data
        return _with_cache_header({"data": data, "meta": result.meta(), "links": links}, hit)

    def retrieve(self, request: Request, id: str) -> Response:
        book, hit = book_get_cached(book_id=int(id))
        if book is None:
            raise NotFound()
        return _with_cache_header({"data": self.OutputSerializer(book).data}, hit)

    def create(self, request: Request) -> Response:
        actor = _actor(request)
        book = book_create(actor=actor, **self._input(request, partial=False))
        location = request.build_absolute_uri(reverse("book-detail", kwargs={"id": book.pk}))
        body = {"data": self.OutputSerializer(book).data}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def update(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=False)

    def partial_update(self, request: Request, id: str) -> Response:
        return self._update(request, id, partial=True)

    def _update(self, request: Request, book_id: str, *, partial: bool) -> Response:
        actor = _actor(request)
        values = self._input(request, partial=partial)
        book = book_update(actor=actor, book=_book_or_404(book_id), values=values, partial=partial)
        return Response({"data": self.OutputSerializer(book).data})

    def destroy(self, request: Request, id: str) -> Response:
        book_delete(actor=_actor(request), book=_book_or_404(id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- OpenAPI documentation ----------------------------------------------------------


@extend_schema_serializer(component_name="BookEnvelope", many=False)
class _BookEnvelopeSerializer(serializers.Serializer):
    data = BookViewSet.OutputSerializer()


# many=False: drf-spectacular would otherwise wrap a `list` action's response
# in an array; ours is an object holding the array.
@extend_schema_serializer(component_name="BookPage", many=False)
class _BookPageSerializer(serializers.Serializer):
    data = BookViewSet.OutputSerializer(many=True)
    meta = PageMetaSerializer()
    links = PageLinksSerializer()


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return error_responses(*codes, resource=BOOKS)


_X_CACHE = OpenApiParameter(
    "X-Cache",
    str,
    OpenApiParameter.HEADER,
    response=True,
    enum=["HIT", "MISS"],
    description="Whether the answer came from the cache.",
)
_LIST_PARAMETERS = [
    OpenApiParameter("search", str, description="Title or author contains (case-insensitive)."),
    OpenApiParameter("title_contains", str, description="Title contains (case-insensitive)."),
    OpenApiParameter("author", str, description="Author equals (case-insensitive)."),
    OpenApiParameter("year_from", int, description="Published in or after this year."),
    OpenApiParameter("year_to", int, description="Published in or before this year."),
    OpenApiParameter(
        "sort",
        str,
        description=(
            "Comma list of `field` or `field:asc|desc`; fields: id, title, author, "
            "year, created_at. Default `id:asc`; ties are always broken by id."
        ),
    ),
    OpenApiParameter("page", int, description="Page number, from 1.", default=1),
    OpenApiParameter("page_size", int, description="Items per page, 1..100.", default=20),
    OpenApiParameter("cursor", str, description=CURSOR_PARAMETER),
]
_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The book's id.")
_WRITE_NOTE = "Bearer token required."

BookViewSet = extend_schema_view(
    list=extend_schema(
        tags=["books"],
        summary="List books (public, paginated, cached)",
        parameters=[*_LIST_PARAMETERS, _X_CACHE],
        responses={200: _BookPageSerializer, **_errors(422, 429)},
    ),
    retrieve=extend_schema(
        tags=["books"],
        summary="Get one book (public, cached)",
        parameters=[_ID, _X_CACHE],
        responses={200: _BookEnvelopeSerializer, **_errors(404, 429)},
    ),
    create=extend_schema(
        tags=["books"],
        summary="Create a book (any authenticated user)",
        description=f"{_WRITE_NOTE} Answers 201 with the new book's URL in `Location`.",
        request=BookViewSet.InputSerializer,
        responses={201: _BookEnvelopeSerializer, **_errors(400, 401, 409, 422, 429)},
    ),
    update=extend_schema(
        tags=["books"],
        summary="Replace a book (creator or admin)",
        description=f"{_WRITE_NOTE} Optional fields left out are reset to their defaults.",
        parameters=[_ID],
        request=BookViewSet.InputSerializer,
        responses={200: _BookEnvelopeSerializer, **_errors(400, 401, 403, 404, 409, 422, 429)},
    ),
    partial_update=extend_schema(
        tags=["books"],
        summary="Change some fields of a book (creator or admin)",
        description=_WRITE_NOTE,
        parameters=[_ID],
        request=BookViewSet.InputSerializer,
        responses={200: _BookEnvelopeSerializer, **_errors(400, 401, 403, 404, 409, 422, 429)},
    ),
    destroy=extend_schema(
        tags=["books"],
        summary="Delete a book (admin only)",
        description=_WRITE_NOTE,
        parameters=[_ID],
        responses={204: None, **_errors(401, 403, 404, 429)},
    ),
)(BookViewSet)
