"""/books: public, cached reads; authenticated writes.

Each endpoint parses (Pydantic, presence and type), calls one selector or
service in a worker thread (db.run_db), and serializes (BookPublic). Check
order, the same as DRF's BookViewSet: bad token 401, rate limit, no token
401, body 400/422, the book exists 404, permission 403, values 422,
uniqueness 409.

`{book_id:int}` uses Starlette's int convertor (digits only): /books/abc
matches no route and is the plain 404, as at the DRF prefix.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from accounts.models import User
from books.models import Book
from books.selectors import book_get, book_get_cached, book_page_cached
from books.services import book_create, book_delete, book_update
from common.errors import NotFound
from common.openapi_text import BOOKS

from ..db import run_db
from ..deps import CurrentUser, default_rate_limit
from ..docs import error_responses
from ..pagination import page_meta_and_links, query_params
from ..routing import ContractRoute
from ..schemas import BookCreate, BookEnvelope, BookPublic, BookReplace, BooksPage, BookUpdate

router = APIRouter(
    prefix="/books",
    tags=["books"],
    route_class=ContractRoute,
    # Every books endpoint spends the caller's budget; no permission class
    # comes first (DRF's BookViewSet has none): a missing token is found by
    # the endpoint, after the limiter.
    dependencies=[Depends(default_rate_limit)],
)

_X_CACHE = {"X-Cache": {"description": "HIT or MISS: whether the cache answered.",
                        "schema": {"type": "string", "enum": ["HIT", "MISS"]}}}


def _cache_header(response: Response, hit: bool) -> None:
    response.headers["X-Cache"] = "HIT" if hit else "MISS"


def _book_or_404(book_id: int) -> Book:
    book = book_get(book_id=book_id)
    if book is None:
        raise NotFound()
    return book


def _update(*, actor: User, book_id: int, values: dict[str, Any], partial: bool) -> Book:
    # Lookup and service in one worker-thread call; the service is its own transaction.
    return book_update(actor=actor, book=_book_or_404(book_id), values=values, partial=partial)


def _delete(*, actor: User, book_id: int) -> None:
    book_delete(actor=actor, book=_book_or_404(book_id))


@router.get(
    "",
    summary="List books (public, paginated, cached)",
    responses={200: {"headers": _X_CACHE}, **error_responses(422, 429)},
)
async def list_books(
    request: Request,
    response: Response,
    # The query parameters (search, filters, sort, paging) are read from the
    # raw query string by books.filters / common.pagination, the code DRF and
    # Flask use; the document lists them from common.openapi_contract.
) -> BooksPage:
    params = query_params(request)
    result, hit = await run_db(book_page_cached, params=params)
    meta, links = page_meta_and_links(request, params, result)
    _cache_header(response, hit)
    return BooksPage(
        data=[BookPublic.model_validate(book) for book in result.items], meta=meta, links=links
    )


@router.get(
    "/{book_id:int}",
    summary="Get one book (public, cached)",
    responses={200: {"headers": _X_CACHE}, **error_responses(404, 429, resource=BOOKS)},
)
async def get_book(book_id: int, response: Response) -> BookEnvelope:
    book, hit = await run_db(book_get_cached, book_id=book_id)
    if book is None:
        raise NotFound()
    _cache_header(response, hit)
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a book (any authenticated user)",
    description="Answers 201 with the new book's URL in `Location`.",
    responses=error_responses(400, 401, 409, 422, 429, resource=BOOKS),
)
async def create_book(
    payload: BookCreate, user: CurrentUser, request: Request, response: Response
) -> BookEnvelope:
    # exclude_unset: only the fields the client sent, as DRF's validated_data.
    book = await run_db(book_create, actor=user, **payload.model_dump(exclude_unset=True))
    response.headers["Location"] = str(request.url_for("get_book", book_id=book.pk))
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.put(
    "/{book_id:int}",
    summary="Replace a book (creator or admin)",
    description="Optional fields left out are reset to their defaults.",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429, resource=BOOKS),
)
async def replace_book(book_id: int, payload: BookReplace, user: CurrentUser) -> BookEnvelope:
    values = payload.model_dump(exclude_unset=True)
    book = await run_db(_update, actor=user, book_id=book_id, values=values, partial=False)
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.patch(
    "/{book_id:int}",
    summary="Change some fields of a book (creator or admin)",
    responses=error_responses(400, 401, 403, 404, 409, 422, 429, resource=BOOKS),
)
async def update_book(book_id: int, payload: BookUpdate, user: CurrentUser) -> BookEnvelope:
    values = payload.model_dump(exclude_unset=True)
    book = await run_db(_update, actor=user, book_id=book_id, values=values, partial=True)
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.delete(
    "/{book_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a book (admin only)",
    responses=error_responses(401, 403, 404, 429, resource=BOOKS),
)
async def delete_book(book_id: int, user: CurrentUser) -> Response:
    await run_db(_delete, actor=user, book_id=book_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
