"""The DRF face of the books resource: /api/drf/books and /api/drf/books/{id}.

A learner's guide to every DRF file, and the path of a request through
this one: docs/drf.md.

A `GenericViewSet` configured the way DRF's documentation teaches:

    queryset           books.listing.book_list(): every book, ordered by id
    filter_backends    django-filter's DjangoFilterBackend with BookFilterSet
                       (search, title_contains, author, year_from, year_to),
                       then BookSortFilter (`sort`, the domain's allowlist)
    pagination_class   EnvelopePagination: page numbers, or keyset for ?cursor=
    permission_classes BookPermission (books.services' can_* rules)
    throttle_classes   the default (REST_FRAMEWORK): it only counts

Each write is three steps: validate `BookInputSerializer`, call a service
(which owns every rule and raises the domain's errors), answer
`BookSerializer(book).data` in the envelope. Errors are raised, never built
here: drf_support/exceptions.py writes the envelope.

The cached reads (`list`, `retrieve` as JSON, marked `@cached_read`) go
through `OneRoundTripCachedReads` (books/drf_fast_read.py), the speed path.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import signed_in_user
from books.drf_fast_read import OneRoundTripCachedReads, cached_read
from books.filters import BookFilterSet
from books.listing import DEFAULT_SORT, SortInvalid, book_list, order_by_fields, parse_sort
from books.models import Book
from books.permissions import BookPermission
from books.rules import year_max
from books.selectors import book_get
from books.serializers import (
    BookEnvelopeSerializer,
    BookFormSerializer,
    BookInputSerializer,
    BookPageSerializer,
    BookSerializer,
)
from books.services import book_create, book_delete, book_update
from common.constraints import (
    BOOK_LIST_INTEGERS,
    BOOK_LIST_PARAMS,
    CURSOR_MAX_LENGTH,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PAGE_MIN,
    PAGE_ROWS_MAX,
    SEARCH_MAX,
    SEARCH_RUN_MIN,
    SORT_DIRECTIONS,
    SORT_FIELDS,
    YEAR_MIN,
    sort_pattern,
)
from common.constraints import DEFAULT_SORT as DEFAULT_SORT_TEXT
from common.media_types import JSON_MEDIA_TYPE
from drf_support.filtering import CheckedListQuery
from drf_support.pagination import EnvelopePagination
from drf_support.parsers import BrowserFormParser, Utf8JSONParser, is_form_request
from drf_support.schema import X_CACHE, errors
from drf_support.views import MethodFirstMixin, envelope


class BookSortFilter(OrderingFilter):
    """DRF's OrderingFilter, reading `?sort=year:desc,title` by the domain's allowlist.

    `books.listing.parse_sort` refuses a field outside the allowlist or a
    direction other than asc/desc (422 naming `sort`); with no `sort`, the
    default order (by id). Ties are always broken by id, so pages never
    overlap.
    """

    ordering_param = "sort"
    ordering_fields = list(SORT_FIELDS)

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> list[str]:
        text = request.query_params.get(self.ordering_param)
        try:
            spec = parse_sort(text) if text else DEFAULT_SORT
        except SortInvalid as exc:
            raise ValidationError({self.ordering_param: [str(exc)]}) from None
        return order_by_fields(spec)

    def get_template_context(self, request: Request, queryset: Any, view: Any) -> dict[str, Any]:
        """The browsable API's "Ordering" menu, in this API's spelling (`title:desc`)."""
        current = request.query_params.get(self.ordering_param)
        options = [(f"{field}:{direction}", f"{field} - {direction}")
                   for field in self.ordering_fields for direction in SORT_DIRECTIONS]
        return {"request": request, "current": current, "param": self.ordering_param,
                "options": options}


class BookViewSet(
    OneRoundTripCachedReads, CheckedListQuery, MethodFirstMixin, viewsets.GenericViewSet
):
    """Books: public reads (cached), writes by signed-in users under BookPermission."""

    # /books/{id}: only digits match, so /books/abc is the catch-all 404.
    lookup_field = "id"
    lookup_value_regex = r"[0-9]+"

    # The browsable API's forms (DRF asks `get_serializer()`); the actions
    # name their own serializers: BookInputSerializer in, BookSerializer out.
    serializer_class = BookFormSerializer
    filter_backends = [DjangoFilterBackend, BookSortFilter]
    filterset_class = BookFilterSet
    pagination_class = EnvelopePagination
    # Each given at most once, the integers never empty (drf_support/filtering.py).
    list_query_names = BOOK_LIST_PARAMS
    list_query_integers = BOOK_LIST_INTEGERS
    permission_classes = [BookPermission]
    # JSON for API clients; the browsable API's HTML form too, for a browser
    # logged in with a session (drf_support.parsers.BrowserFormParser).
    parser_classes = [Utf8JSONParser, BrowserFormParser]
    # The browsable API's "Raw data" tab starts from this body (valid as it is).
    raw_data_example = {"title": "Middlemarch", "author": "George Eliot", "year": 1871}

    def get_queryset(self) -> QuerySet[Book]:
        return book_list()

    def get_object(self) -> Book:
        """The book of the URL (404), if the permissions allow this method on it (403)."""
        if self.book_of_the_url is None:
            raise NotFound()  # DRF's own, which its browsable API knows to catch
        self.check_object_permissions(self.request, self.book_of_the_url)
        return self.book_of_the_url

    @cached_property
    def book_of_the_url(self) -> Book | None:
        # Read once per request: `check_permissions` and the action both ask.
        return book_get(book_id=int(self.kwargs["id"]))

    def check_permissions(self, request: Request) -> None:
        """DRF's check, plus the object's for a write, so a 403 comes before the throttles.

        DRF runs `initial()` as authenticate, `check_permissions`, then
        `check_throttles`, and leaves object permissions to `get_object()`
        inside the action: after the budget was spent. A refused write must
        spend none, so the book of a PUT, PATCH or DELETE is checked here.
        """
        super().check_permissions(request)
        if request.method not in SAFE_METHODS and "id" in self.kwargs:
            self.get_object()

    # --- Reads (DRF's list machinery; the cache wraps them: books/drf_fast_read.py) ----

    @cached_read
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(BookSerializer(page, many=True).data)

    @cached_read
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(envelope(BookSerializer(self.get_object())))

    # --- Writes --------------------------------------------------------------------------

    def _input(self, request: Request, *, partial: bool = False) -> dict[str, Any]:
        serializer_class = BookFormSerializer if is_form_request(request) else BookInputSerializer
        serializer = serializer_class(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def create(self, request: Request) -> Response:
        book = book_create(actor=signed_in_user(request), **self._input(request))
        location = request.build_absolute_uri(reverse("book-detail", kwargs={"id": book.pk}))
        return Response(envelope(BookSerializer(book)), status=status.HTTP_201_CREATED,
                        headers={"Location": location})

    def update(self, request: Request, id: str) -> Response:
        book = book_update(actor=signed_in_user(request), book=self.get_object(),
                           values=self._input(request), partial=False)
        return Response(envelope(BookSerializer(book)))

    def partial_update(self, request: Request, id: str) -> Response:
        book = book_update(actor=signed_in_user(request), book=self.get_object(),
                           values=self._input(request, partial=True), partial=True)
        return Response(envelope(BookSerializer(book)))

    def destroy(self, request: Request, id: str) -> Response:
        book_delete(actor=signed_in_user(request), book=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- OpenAPI documentation ----------------------------------------------------------
# drf-spectacular reads the serializers; what a client needs to know besides
# (the words, every answer, the query parameters) is stated here.

BOOK_NOT_FOUND = "No book with that id (`not_found`)."
ISBN_TAKEN = "Another book has that ISBN (`conflict`)."
_ID = OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH,
                       description="The book's id.")
_NO_NUL = r"^[^\x00]*$"


def _query(name: str, schema: dict[str, Any], description: str) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=False,
                            description=description)


# The search rule (books.listing.search_run_error), for the two contains-filters.
_RUN = (f"At least {SEARCH_RUN_MIN} letters or digits in a row, else 422: shorter text "
        "matches too widely to look up in the index.")


def _list_parameters() -> list[OpenApiParameter]:
    text = {"type": "string", "maxLength": SEARCH_MAX, "pattern": _NO_NUL}
    year = {"type": "integer", "minimum": YEAR_MIN, "maximum": year_max()}
    return [
        _query("search", text, f"Title or author contains (any case). {_RUN}"),
        _query("title_contains", text, f"Title contains (any case). {_RUN}"),
        _query("author", text, "Author equals (any case)."),
        _query("year_from", year, "Year >= this."),
        _query("year_to", year, "Year <= this."),
        _query("sort", {"type": "string", "pattern": sort_pattern(), "default": DEFAULT_SORT_TEXT},
               "Comma list of `field` or `field:asc|desc`, each field at most once; fields: "
               f"{', '.join(SORT_FIELDS)}. Ties are always broken by id."),
        _query("page", {"type": "integer", "minimum": PAGE_MIN, "default": 1},
               f"Page number, from {PAGE_MIN}. Numbered pages reach the first {PAGE_ROWS_MAX} "
               f"rows (page * page_size <= {PAGE_ROWS_MAX}); a deeper page is a 422: page on "
               "with `cursor` (the last numbered page's links.next is one)."),
        _query("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                             "default": DEFAULT_PAGE_SIZE}, f"Items per page, 1..{MAX_PAGE_SIZE}."),
        _query("cursor", {"type": "string", "maxLength": CURSOR_MAX_LENGTH, "pattern": _NO_NUL},
               "Keyset paging, for deep pages: send it empty (`cursor=`) for the first page, "
               "then the URL in links.next or links.prev. Not with `page`. Cursor answers "
               "have no total: meta holds page_size only."),
    ]


extend_schema_view(  # annotates BookViewSet's actions in place
    list=extend_schema(
        operation_id="list_books", tags=["books"], summary="List books",
        description="Paginated by page number or, for deep pages, by `cursor`; search, filter "
                    "and sort with the query parameters below. `X-Cache` says whether the "
                    "cache answered.",
        parameters=[*_list_parameters(), X_CACHE],
        filters=False,  # the parameters above, not discovered from the filter backends
        responses={200: OpenApiResponse(BookPageSerializer, "One page of books."),
                   **errors(401, 422, 429, 503)},
    ),
    retrieve=extend_schema(
        operation_id="get_book", tags=["books"], summary="Read a book",
        description="`X-Cache` says whether the cache answered.",
        parameters=[_ID, X_CACHE],
        responses={200: OpenApiResponse(BookEnvelopeSerializer, "The book."),
                   **errors(401, 404, 429, 503, words={404: BOOK_NOT_FOUND})},
    ),
    create=extend_schema(
        operation_id="create_book", tags=["books"], summary="Add a book",
        description="Any logged-in user. The new book's URL is in `Location`.",
        request={JSON_MEDIA_TYPE: BookInputSerializer},
        parameters=[OpenApiParameter("Location", {"type": "string"}, OpenApiParameter.HEADER,
                                     description="The new resource's URL.", response=[201])],
        responses={201: OpenApiResponse(BookEnvelopeSerializer, "Created: the new book."),
                   **errors(400, 401, 409, 413, 422, 429, 503, words={409: ISBN_TAKEN})},
    ),
    update=extend_schema(
        operation_id="replace_book", tags=["books"],
        summary="Replace a book (its creator or an admin)",
        description="Every field is sent; optional fields left out are reset to their defaults.",
        request={JSON_MEDIA_TYPE: BookInputSerializer}, parameters=[_ID],
        responses={200: OpenApiResponse(BookEnvelopeSerializer, "The replaced book."),
                   **errors(400, 401, 403, 404, 409, 413, 422, 429, 503,
                            words={404: BOOK_NOT_FOUND, 409: ISBN_TAKEN})},
    ),
    partial_update=extend_schema(
        operation_id="update_book", tags=["books"],
        summary="Change some fields of a book (its creator or an admin)",
        description="Only the fields sent change.",
        request={JSON_MEDIA_TYPE: BookInputSerializer}, parameters=[_ID],
        responses={200: OpenApiResponse(BookEnvelopeSerializer, "The changed book."),
                   **errors(400, 401, 403, 404, 409, 413, 422, 429, 503,
                            words={404: BOOK_NOT_FOUND, 409: ISBN_TAKEN})},
    ),
    destroy=extend_schema(
        operation_id="delete_book", tags=["books"], summary="Delete a book (admins only)",
        description="The book is gone for good.", parameters=[_ID],
        responses={204: OpenApiResponse(None, "Deleted."),
                   **errors(401, 403, 404, 429, 503, words={404: BOOK_NOT_FOUND})},
    ),
)(BookViewSet)
