"""The DRF face of the books resource: /api/drf/books and /api/drf/books/{id}.

A learner's guide to every DRF file, and the path of a request through
this one: docs/drf.md.

Each action does three things: parse (books.serializers.BookInputSerializer,
which checks presence and JSON types only), call a selector or service
(which own every rule), serialize (BookOutputSerializer). Errors are raised,
never built here: `common.drf.exceptions.exception_handler` turns them into
the envelope.

Check order, identical in every framework: authentication (401), body types
(422), the book exists (404), permission (403), values (422), uniqueness (409).

Browsers get DRF's browsable API here (common/drf/browsable.py): its
forms are filled from `get_serializer` and shown only where
`permission_classes` allow the method, its filter form comes from
`filterset_class`. JSON clients never see either.

The OpenAPI decorations live at the bottom of the module, apart from the
behaviour they describe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema_view
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authentication import SnapshotBearerAuthentication
from accounts.permissions import signed_in_user
from accounts.session import BrowsableApiSessionAuthentication
from books.filters import BookFilterSet
from books.models import Book
from books.permissions import BookPermission
from books.selectors import book_get, book_page
from books.serializers import (
    BookEnvelopeSerializer,
    BookFormSerializer,
    BookInputSerializer,
    BookOutputSerializer,
    BookPageSerializer,
)
from books.services import book_create, book_delete, book_update
from common.drf.browsable import BrowsableApiRenderer
from common.drf.fields import PlainSerializer
from common.drf.openapi import documented
from common.drf.parsers import BrowserFormParser, Utf8JSONParser, is_form_request
from common.drf.renderers import CachedJSONRenderer
from common.drf.views import ApiViewSet, json_object
from common.errors import NotFound
from common.pagination import page_links
from throttling.throttles import CachedRead, CachedReadThrottle

# --- The view set -----------------------------------------------------------------

HIT = {"X-Cache": "HIT"}
MISS = {"X-Cache": "MISS"}

# The actions answered from the read cache, through CachedReadThrottle.
CACHED_ACTIONS = frozenset({"list", "retrieve"})


class BookViewSet(ApiViewSet):
    """Books: public reads (cached), authenticated writes.

    DRF's hooks, each doing one job (docs/drf.md walks through them):

    - `get_authenticators`: the cached reads check a Bearer token's signature
      only (SnapshotBearerAuthentication); the throttle checks its login.
    - `permission_classes`: BookPermission (who may write which book).
    - `get_throttles`: the cached reads use CachedReadThrottle, whose one Redis
      round trip counts the request and fetches the stored page
      (`request.cached_read`); the writes the default throttle.
    - `list` / `retrieve`: a HIT answers `Response(stored_bytes)`, which
      CachedJSONRenderer sends as is; a MISS computes, and stores the bytes
      the renderer writes (a post-render callback of the Response).
    """

    # /books/{id}: the contract names the parameter `id`, and only digits
    # match, so /books/abc is the catch-all 404, not a failed int().
    lookup_field = "id"
    lookup_value_regex = r"[0-9]+"

    permission_classes = [BookPermission]
    renderer_classes = [CachedJSONRenderer, BrowsableApiRenderer]
    # JSON for API clients; the browsable API's HTML form too, for a
    # browser logged in with a session (common.drf.parsers.BrowserFormParser).
    parser_classes = [Utf8JSONParser, BrowserFormParser]

    InputSerializer = BookInputSerializer
    FormSerializer = BookFormSerializer
    OutputSerializer = BookOutputSerializer
    # For the browsable API only: the form it offers for POST/PUT, and the
    # filter form of the list page (the list itself filters in the selector).
    serializer_class = BookFormSerializer
    filterset_class = BookFilterSet
    # The browsable API's "Raw data" tab starts from this body (valid as it is).
    raw_data_example = {"title": "Middlemarch", "author": "George Eliot", "year": 1871}

    # --- DRF's hooks -----------------------------------------------------------------

    def get_authenticators(self) -> list[Any]:
        # Called before `self.action` is set; the action map already says which it is.
        # (drf-spectacular's schema generation documents the full Bearer class.)
        request = getattr(self, "request", None)
        action = self.action_map.get(request.method.lower()) if request is not None else None
        if action in CACHED_ACTIONS and not getattr(self, "swagger_fake_view", False):
            return [SnapshotBearerAuthentication(), BrowsableApiSessionAuthentication()]
        return super().get_authenticators()

    def get_throttles(self) -> list[Any]:
        if self.action in CACHED_ACTIONS:
            return [CachedReadThrottle()]
        return super().get_throttles()

    def get_object(self) -> Book:
        """The book of the URL (404), if the permissions allow this method on it (403)."""
        book = book_get(book_id=int(self.kwargs["id"]))
        if book is None:
            raise NotFound()
        self.check_object_permissions(self.request, book)
        return book

    def get_serializer(self, *args: Any, **kwargs: Any) -> BookFormSerializer:
        """The browsable API's form; on a book's page, filled with that book (PUT)."""
        if kwargs.get("instance") is None and "id" in self.kwargs:
            kwargs["instance"] = book_get(book_id=int(self.kwargs["id"]))
        return self.serializer_class(*args, **kwargs)

    def _input(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer: PlainSerializer
        if is_form_request(request):  # the browsable API's HTML form: every value is text
            serializer = self.FormSerializer(data=request.data, partial=partial)
        else:
            serializer = self.InputSerializer(data=json_object(request), partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    # --- The cached reads -----------------------------------------------------------

    @staticmethod
    def _cached_read(request: Request) -> CachedRead | None:
        """CachedReadThrottle's find, for JSON clients (the browsable API renders afresh)."""
        if not isinstance(request.accepted_renderer, CachedJSONRenderer):
            return None
        return getattr(request, "cached_read", None)

    def _answer(self, request: Request, compute: Callable[[], dict[str, Any]]) -> Response:
        cached = self._cached_read(request)
        if cached is None:
            return Response(compute())
        if cached.page is not None:
            return Response(cached.page, headers=HIT)  # bytes: CachedJSONRenderer sends them as is
        response = Response(compute(), headers=MISS)
        # Once the renderer has written the body, keep those very bytes.
        response.add_post_render_callback(lambda rendered: cached.store(rendered.content))
        return response

    def list(self, request: Request) -> Response:
        params: QueryDict = request.query_params
        if not isinstance(request.accepted_renderer, CachedJSONRenderer):
            # The browsable API's filter form submits every field, the empty
            # ones too; for that page an empty field means "not given" (an API
            # client sending `year_to=` still gets the contract's 422).
            # (`cursor=` is kept: empty, it starts keyset paging.)
            params = QueryDict(mutable=True)
            for name, values in request.query_params.lists():
                kept = [v for v in values if v != "" or name == "cursor"]
                if kept:
                    params.setlist(name, kept)

        def compute() -> dict[str, Any]:
            result = book_page(params=params)
            url = request.build_absolute_uri(request.path)
            links = page_links(url, params, result)
            data = self.OutputSerializer(result.items, many=True).data
            return {"data": data, "meta": result.meta(), "links": links}

        return self._answer(request, compute)

    def retrieve(self, request: Request, id: str) -> Response:
        def compute() -> dict[str, Any]:
            return {"data": self.OutputSerializer(self.get_object()).data}

        return self._answer(request, compute)

    # --- Writes ----------------------------------------------------------------------
    # BookPermission has already answered 401 to an anonymous caller.

    def create(self, request: Request) -> Response:
        book = book_create(actor=signed_in_user(request), **self._input(request, partial=False))
        location = request.build_absolute_uri(reverse("book-detail", kwargs={"id": book.pk}))
        body = {"data": self.OutputSerializer(book).data}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    def update(self, request: Request, id: str) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, id: str) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        values = self._input(request, partial=partial)  # 422 before 404 and 403
        book = book_update(
            actor=signed_in_user(request), book=self.get_object(), values=values,
            partial=partial,
        )
        return Response({"data": self.OutputSerializer(book).data})

    def destroy(self, request: Request, id: str) -> Response:
        book_delete(actor=signed_in_user(request), book=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- OpenAPI documentation ----------------------------------------------------------
# The declared operations (common.operations); the serializers are the view set's.

_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The book's id.")

extend_schema_view(  # annotates BookViewSet's actions in place
    list=documented("list_books", response=BookPageSerializer),
    retrieve=documented("get_book", response=BookEnvelopeSerializer, path=[_ID]),
    create=documented("create_book", request=BookInputSerializer,
                      response=BookEnvelopeSerializer),
    update=documented("replace_book", request=BookInputSerializer,
                      response=BookEnvelopeSerializer, path=[_ID]),
    partial_update=documented("update_book", request=BookInputSerializer,
                              response=BookEnvelopeSerializer, path=[_ID]),
    destroy=documented("delete_book", path=[_ID]),
)(BookViewSet)
