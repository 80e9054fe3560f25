"""The DRF face of the books resource: /api/drf/books and /api/drf/books/{id}.

Each action does three things: parse (books.serializers.BookInputSerializer,
which checks presence and JSON types only), call a selector or service
(which own every rule), serialize (BookOutputSerializer). Errors are raised,
never built here: `common.drf.exceptions.exception_handler` turns them into
the envelope.

Check order, identical in every framework: authentication (401), body types
(422), the book exists (404), permission (403), values (422), uniqueness (409).

Browsers get DRF's browsable API here (common/drf/browsable.py): its
forms are filled from `get_serializer`, its filter form from
`filterset_class`. JSON clients never see either.

The OpenAPI decorations live at the bottom of the module, apart from the
behaviour they describe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.tokens import bearer_from_header, token_service
from books.fast_read import ReadOutcome, ReadPlan, wsgi_url
from books.filters import BookFilterSet
from books.models import Book
from books.selectors import book_get, book_page
from books.serializers import (
    BookEnvelopeSerializer,
    BookInputSerializer,
    BookOutputSerializer,
    BookPageSerializer,
)
from books.services import book_create, book_delete, book_update
from common.asgi.metrics import record_user
from common.drf.schema import error_responses
from common.drf.views import ApiViewSet, json_object
from common.errors import NotAuthenticated, NotFound
from common.openapi_text import BOOKS, CURSOR_PARAMETER
from common.pagination import page_links
from throttling.limiter import default_policy
from throttling.throttles import request_client_ip

JSON = "application/json"
HIT = {"X-Cache": "HIT"}
MISS = {"X-Cache": "MISS"}

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


# The actions answered from the read cache (books/fast_read.py).
CACHED_ACTIONS = frozenset({"list", "retrieve"})


class BookViewSet(ApiViewSet):
    """Books: public reads (cached), authenticated writes.

    The two reads, for JSON clients, skip DRF's own authentication and
    throttle steps (`perform_authentication`, `get_throttles`, both DRF's
    documented hooks) and make the same checks in `_cached_read`, in the
    same order, together with the cache lookup: one Redis round trip
    instead of a database query and three. A hit returns the stored bytes as
    a plain HttpResponse (no serializer, no renderer); a miss renders with
    the negotiated renderer and stores what it rendered.
    """

    # /books/{id}: the contract names the parameter `id`, and only digits
    # match, so /books/abc is the catch-all 404, not a failed int().
    lookup_field = "id"
    lookup_value_regex = r"[0-9]+"

    InputSerializer = BookInputSerializer
    OutputSerializer = BookOutputSerializer
    # For the browsable API only: the form it offers for POST/PUT/PATCH, and
    # the filter form of the list page (the list itself filters in the selector).
    serializer_class = BookInputSerializer
    filterset_class = BookFilterSet

    def get_serializer(self, *args: Any, **kwargs: Any) -> BookInputSerializer:
        """The form's serializer; on a book's page, filled with that book (PUT/PATCH)."""
        if kwargs.get("instance") is None and "id" in self.kwargs:
            kwargs["instance"] = book_get(book_id=int(self.kwargs["id"]))
        return self.serializer_class(*args, **kwargs)

    def _input(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.InputSerializer(data=json_object(request), partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    # --- The cached reads -----------------------------------------------------------

    def _answers_from_cache(self, request: Request) -> bool:
        return self.action in CACHED_ACTIONS and request.accepted_renderer.format == "json"

    def perform_authentication(self, request: Request) -> None:
        if not self._answers_from_cache(request):
            super().perform_authentication(request)

    def get_throttles(self) -> list[Any]:
        if self._answers_from_cache(self.request):
            return []  # counted by _cached_read, in the same round trip as the lookup
        return super().get_throttles()

    def _cached_read(self, request: Request) -> tuple[ReadPlan, ReadOutcome]:
        """:raise InvalidToken: 401. :raise RateLimited: 429. (DRF's own order.)"""
        token = bearer_from_header(request.META.get("HTTP_AUTHORIZATION"))
        claims = token_service.verify_access(token) if token is not None else None
        user_id = int(claims["sub"]) if claims is not None else None
        policy = default_policy(user_id=user_id, ip=request_client_ip(request))
        plan = ReadPlan.for_request(url=wsgi_url(request.META), policy=policy, claims=claims)
        outcome = plan.read()
        if claims is not None and not outcome.token_vouched:
            plan.confirm_token(outcome, claims)
        record_user(request.META.get("asgi.scope"), user_id)  # for the access log
        return plan, outcome

    def _from_cache(
        self, request: Request, compute: Callable[[], dict[str, Any]]
    ) -> HttpResponse | Response:
        if not self._answers_from_cache(request):
            return Response(compute())  # the browsable API: rendered as HTML by DRF
        plan, outcome = self._cached_read(request)
        if outcome.page is not None:
            return HttpResponse(outcome.page.body, content_type=JSON, headers=HIT)
        body = request.accepted_renderer.render(
            compute(), request.accepted_media_type, self.get_renderer_context()
        )
        plan.store(outcome, body)
        return HttpResponse(body, content_type=JSON, headers=MISS)

    def list(self, request: Request) -> HttpResponse | Response:
        params = request.query_params
        if not self._answers_from_cache(request):
            # The browsable API's filter form submits every field, the empty
            # ones too; for that page an empty field means "not given" (an API
            # client sending `year_to=` still gets the contract's 422).
            params = params.copy()
            # (`cursor=` is kept: empty, it starts keyset paging.)
            for name in [n for n, value in params.items() if value == "" and n != "cursor"]:
                del params[name]

        def compute() -> dict[str, Any]:
            result = book_page(params=params)
            url = request.build_absolute_uri(request.path)
            links = page_links(url, params, result)
            data = self.OutputSerializer(result.items, many=True).data
            return {"data": data, "meta": result.meta(), "links": links}

        return self._from_cache(request, compute)

    def retrieve(self, request: Request, id: str) -> HttpResponse | Response:
        def compute() -> dict[str, Any]:
            book = book_get(book_id=int(id))
            if book is None:
                raise NotFound()
            return {"data": self.OutputSerializer(book).data}

        return self._from_cache(request, compute)

    # --- Writes ----------------------------------------------------------------------

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
        responses={200: BookPageSerializer, **_errors(422, 429)},
    ),
    retrieve=extend_schema(
        tags=["books"],
        summary="Get one book (public, cached)",
        parameters=[_ID, _X_CACHE],
        responses={200: BookEnvelopeSerializer, **_errors(404, 429)},
    ),
    create=extend_schema(
        tags=["books"],
        summary="Create a book (any authenticated user)",
        description=f"{_WRITE_NOTE} Answers 201 with the new book's URL in `Location`.",
        request=BookInputSerializer,
        responses={201: BookEnvelopeSerializer, **_errors(400, 401, 409, 422, 429)},
    ),
    update=extend_schema(
        tags=["books"],
        summary="Replace a book (creator or admin)",
        description=f"{_WRITE_NOTE} Optional fields left out are reset to their defaults.",
        parameters=[_ID],
        request=BookInputSerializer,
        responses={200: BookEnvelopeSerializer, **_errors(400, 401, 403, 404, 409, 422, 429)},
    ),
    partial_update=extend_schema(
        tags=["books"],
        summary="Change some fields of a book (creator or admin)",
        description=_WRITE_NOTE,
        parameters=[_ID],
        request=BookInputSerializer,
        responses={200: BookEnvelopeSerializer, **_errors(400, 401, 403, 404, 409, 422, 429)},
    ),
    destroy=extend_schema(
        tags=["books"],
        summary="Delete a book (admin only)",
        description=_WRITE_NOTE,
        parameters=[_ID],
        responses={204: None, **_errors(401, 403, 404, 429)},
    ),
)(BookViewSet)
