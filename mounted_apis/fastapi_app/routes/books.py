"""/books: public, cached reads; authenticated writes.

Each endpoint parses (Pydantic, presence and type), calls one selector or
service in a worker thread (db.run_db), and serializes (BookPublic). Check
order, the same as DRF's BookViewSet: bad token 401, rate limit, no token
401, body 400/422, the book exists 404, permission 403, values 422,
uniqueness 409.

The two reads depend on `CachedBooksRead` (deps.py) instead of the usual
get_access + RateLimit pair: the same checks, plus the stored page, in one
Redis round trip on the event loop. A hit answers the stored bytes; a miss
computes, renders and stores them.

`{book_id:int}` uses Starlette's int convertor (digits only): /books/abc
matches no route and is the plain 404, as at the DRF prefix.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from accounts.models import User
from books.models import Book
from books.selectors import book_get, book_page
from books.services import book_create, book_delete, book_update
from common.errors import NotFound

from ..db import run_db
from ..deps import CachedBooksRead, CurrentUser, default_rate_limit
from ..docs import contract
from ..pagination import page_meta_and_links, query_params
from ..routing import ContractRoute
from ..schemas import BookCreate, BookEnvelope, BookPublic, BookReplace, BooksPage, BookUpdate

router = APIRouter(
    prefix="/books",
    route_class=ContractRoute,
)

# Every books endpoint spends the caller's budget; no permission class comes
# first (DRF's BookViewSet has none): a missing token is found by the
# endpoint, after the limiter. The reads count inside CachedBooksRead.
LIMITED = [Depends(default_rate_limit)]


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
    response_model=BooksPage,
    # CachedBooksRead reads the token without the OAuth2 dependency (deps.cached_read).
    **contract("list_books", bearer_dependency=False),
)
async def list_books(
    request: Request,
    read: CachedBooksRead,
    # The query parameters (search, filters, sort, paging, cursor) are read
    # from the raw query string by books.filters / common.pagination, the code
    # DRF and Flask use, and only on a MISS: a hit parses nothing (declaring
    # them here cost a fifth of a cached request). The document lists them
    # from common.openapi_contract.
) -> Response:
    if read.hit:
        return read.response()
    params = query_params(request)
    result = await run_db(book_page, params=params)
    meta, links = page_meta_and_links(request, params, result)
    data = [BookPublic.model_validate(book) for book in result.items]
    return await read.miss(BooksPage(data=data, meta=meta, links=links))


@router.get(
    "/{book_id:int}",
    response_model=BookEnvelope,
    # CachedBooksRead reads the token without the OAuth2 dependency (deps.cached_read).
    **contract("get_book", bearer_dependency=False),
)
async def get_book(book_id: int, read: CachedBooksRead) -> Response:
    if read.hit:
        return read.response()
    book = await run_db(book_get, book_id=book_id)
    if book is None:
        raise NotFound()
    return await read.miss(BookEnvelope(data=BookPublic.model_validate(book)))


@router.post(
    "",
    dependencies=LIMITED,
    **contract("create_book"),
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
    dependencies=LIMITED,
    **contract("replace_book"),
)
async def replace_book(book_id: int, payload: BookReplace, user: CurrentUser) -> BookEnvelope:
    values = payload.model_dump(exclude_unset=True)
    book = await run_db(_update, actor=user, book_id=book_id, values=values, partial=False)
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.patch(
    "/{book_id:int}",
    dependencies=LIMITED,
    **contract("update_book"),
)
async def update_book(book_id: int, payload: BookUpdate, user: CurrentUser) -> BookEnvelope:
    values = payload.model_dump(exclude_unset=True)
    book = await run_db(_update, actor=user, book_id=book_id, values=values, partial=True)
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.delete(
    "/{book_id:int}",
    dependencies=LIMITED,
    **contract("delete_book"),
)
async def delete_book(book_id: int, user: CurrentUser) -> Response:
    await run_db(_delete, actor=user, book_id=book_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
