"""/books: public, cached reads; authenticated writes.

Each route declares what it reads (a body model, typed query parameters, the
book its dependencies found), calls one service or selector in a worker
thread (db.run_db), and returns a response model. Who may write is decided by
dependencies (deps.py), listed before `rate_limit`: a 401 or 403 spends no
budget. The two reads depend on `CachedBooksRead` (fast_read.py) instead:
the same checks and the stored page in one Redis round trip.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, Response, status

from books.listing import book_list, order_by_fields
from books.selectors import book_get
from books.services import book_create, book_delete, book_update
from common.errors import NotFound

from ..db import run_db
from ..deps import (
    BookQueryParams,
    CurrentUser,
    DeletableBook,
    EditableBook,
    PathId,
    get_current_user,
    get_deletable_book,
    get_editable_book,
    rate_limit,
)
from ..fast_read import CachedBooksRead, CachedReadRoute
from ..json_request import ContractRoute
from ..pagination import ListPage, list_page, meta_and_links
from ..responses import BOOKS, LOCATION, X_CACHE, errors
from ..schemas import (
    BookCreate,
    BookEnvelope,
    BookPublic,
    BookQuery,
    BookReplace,
    BooksPage,
    BookUpdate,
)

router = APIRouter(prefix="/books", tags=["books"], route_class=ContractRoute)
# The two public reads: a cache HIT is answered by the route class, before any
# dependency is solved; the endpoints run on a MISS (fast_read.py).
reads = APIRouter(prefix="/books", tags=["books"], route_class=CachedReadRoute)

# Access checks first, the budget last (FastAPI runs `dependencies` in order).
AUTHENTICATED = [Depends(get_current_user), Depends(rate_limit)]
MAY_EDIT = [Depends(get_editable_book), Depends(rate_limit)]
MAY_DELETE = [Depends(get_deletable_book), Depends(rate_limit)]


def _books_page(query: BookQuery) -> ListPage:
    """The page the query asks for: `books.listing` filters and sorts, `list_page` pages."""
    sort = query.sort_spec()
    return list_page(
        book_list(filters=query.filters(), sort=sort),
        ordering=order_by_fields(sort),
        page=query.page if "page" in query.model_fields_set else None,
        page_size=query.page_size,
        cursor=query.cursor,
    )


@reads.get(
    "",
    response_model=BooksPage,
    summary="List books",
    response_description="One page of books.",
    responses={200: {"headers": X_CACHE}, **errors(401, 422, 429, 503)},
    # The token is optional (`{}`): a public read, counted per user when one is sent.
    openapi_extra={"security": [{}]},
)
async def list_books(
    request: Request, read: CachedBooksRead, query: BookQueryParams
) -> Response:
    """Paginated by page number or, for deep pages, by `cursor`; search, filter and sort with the query parameters below. `X-Cache` says whether the cache answered."""  # noqa: E501
    page = await run_db(_books_page, query)
    meta, links = meta_and_links(request, page)
    data = [BookPublic.model_validate(book) for book in page.items]
    return await read.miss(BooksPage(data=data, meta=meta, links=links))


@reads.get(
    "/{book_id:int}",
    response_model=BookEnvelope,
    summary="Read a book",
    response_description="The book.",
    responses={200: {"headers": X_CACHE}, **errors(401, 404, 429, 503, resource=BOOKS)},
    openapi_extra={"security": [{}]},
)
async def get_book(book_id: PathId, read: CachedBooksRead) -> Response:
    """`X-Cache` says whether the cache answered."""
    book = await run_db(book_get, book_id=book_id)
    if book is None:
        raise NotFound()
    return await read.miss(BookEnvelope(data=BookPublic.model_validate(book)))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=AUTHENTICATED,
    summary="Add a book",
    response_description="Created: the new book.",
    responses={201: {"headers": LOCATION},
               **errors(400, 401, 409, 413, 422, 429, 503, resource=BOOKS)},
)
async def create_book(
    payload: BookCreate, user: CurrentUser, request: Request, response: Response
) -> BookEnvelope:
    """Any logged-in user. The new book's URL is in `Location`."""
    book = await run_db(book_create, actor=user, **payload.model_dump())
    response.headers["Location"] = str(request.url_for("get_book", book_id=book.pk))
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.put(
    "/{book_id:int}",
    dependencies=MAY_EDIT,
    summary="Replace a book (its creator or an admin)",
    response_description="The replaced book.",
    responses=errors(400, 401, 403, 404, 409, 413, 422, 429, 503, resource=BOOKS),
)
async def replace_book(
    book_id: PathId, payload: BookReplace, user: CurrentUser, book: EditableBook
) -> BookEnvelope:
    """Every field is sent; optional fields left out are reset to their defaults."""
    values = payload.model_dump(exclude_unset=True)
    book = await run_db(book_update, actor=user, book=book, values=values, partial=False)
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.patch(
    "/{book_id:int}",
    dependencies=MAY_EDIT,
    summary="Change some fields of a book (its creator or an admin)",
    response_description="The changed book.",
    responses=errors(400, 401, 403, 404, 409, 413, 422, 429, 503, resource=BOOKS),
)
async def update_book(
    book_id: PathId,
    user: CurrentUser,
    book: EditableBook,
    payload: Annotated[BookUpdate, Body()] = None,  # type: ignore[assignment]
) -> BookEnvelope:
    """Only the fields sent change."""
    values = payload.model_dump(exclude_unset=True) if payload is not None else {}
    book = await run_db(book_update, actor=user, book=book, values=values, partial=True)
    return BookEnvelope(data=BookPublic.model_validate(book))


@router.delete(
    "/{book_id:int}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=MAY_DELETE,
    summary="Delete a book (admins only)",
    response_description="Deleted.",
    responses=errors(401, 403, 404, 429, 503, resource=BOOKS),
)
async def delete_book(book_id: PathId, user: CurrentUser, book: DeletableBook) -> None:
    """The book is gone for good."""
    await run_db(book_delete, actor=user, book=book)
