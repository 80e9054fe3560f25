"""/books: public, cached reads; authenticated writes.

Each view reads the request (parsing.py), calls one selector or service
(which own every rule) and renders (rendering.book_public). The decorators
above a view are its checks, in the order they run:

    GET            @cached_read: bad token 401, budget 429 (one round trip), then a HIT
    POST           @login_required 401, @rate_limited 429
    PUT, PATCH     @login_required 401, @editable_book 404/403, @rate_limited 429
    DELETE         @login_required 401, @require_role("admin") 403, @rate_limited 429

then, inside the view, the body (400, 422), the values (422) and
uniqueness (409). A 401 or 403 is decided before the limiter counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, g, request, url_for

from books.listing import book_list, order_by_fields
from books.models import Book
from books.selectors import book_get
from books.services import book_create, book_delete, book_update, can_update
from common.errors import NotFound, PermissionDenied
from common.keyset import CursorPageResult, keyset_page
from common.pagination import PageResult, page_links, paginate

from ..auth import login_required, require_role
from ..fast_read import cached_read
from ..openapi import BOOK_ERRORS, answers, documented
from ..parsing import book_list_args, fields, integer, json_object, string
from ..ratelimit import rate_limited
from ..rendering import book_public, no_content, page_body
from ..schemas import BookCreate, BookEnvelope, BookListQuery, BookReplace, BooksPage, BookUpdate

bp = Blueprint("books", __name__, url_prefix="/books")

# POST and PUT: title, author, year required; isbn and description optional, nullable.
BOOK_FIELDS = {
    "title": string(),
    "author": string(),
    "year": integer(),
    "isbn": string(required=False, nullable=True),
    "description": string(required=False, nullable=True),
}
_WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 422, 429, 503)


def _book_or_404(book_id: int) -> Book:
    book = book_get(book_id=book_id)
    if book is None:
        raise NotFound()
    return book


def editable_book(view: Callable[..., Any]) -> Callable[..., Any]:
    """Load the book into `g.book`: 404 when there is none, 403 unless its creator or an admin."""

    @functools.wraps(view)
    def wrapped_view(book_id: int) -> Any:
        g.book = _book_or_404(book_id)
        if not can_update(g.user, g.book):
            raise PermissionDenied()
        return view(book_id=book_id)

    return wrapped_view


@bp.get("")
@cached_read  # above @documented: a HIT never enters spectree's wrapper (fast_read.py)
@documented("books", auth="optional", query=BookListQuery, resp=answers(
    (200, BooksPage, "One page of books."), 401, 422, 429, 503))
def list_books() -> dict[str, Any]:
    """List books

    Paginated by page number or, for deep pages, by `cursor`; search, filter and sort
    with the query parameters below. `X-Cache` says whether the cache answered.
    \f
    Runs on a cache MISS only (fast_read.cached_read answers a HIT).
    :raise 422: a bad parameter, each one named in `details`.
    """
    args = book_list_args()
    books = book_list(filters=args.filters, sort=args.sort)
    result: PageResult | CursorPageResult
    if args.cursor_mode:
        result = keyset_page(books, ordering=order_by_fields(args.sort),
                             page_size=args.paging.page_size, cursor=args.cursor)
    else:
        result = paginate(books, args.paging)
    links = page_links(request.base_url, request.args, result)
    return page_body([book_public(book) for book in result.items], result, links)


@bp.post("")
@documented("books", auth="required", json=BookCreate, resp=answers(
    (201, BookEnvelope, "Created: the new book."), 400, 401, 409, 413, 422, 429, 503,
    words=BOOK_ERRORS))
@login_required
@rate_limited()
def create_book() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Add a book

    Any logged-in user. The new book's URL is in `Location`.
    """
    values = fields(json_object(), BOOK_FIELDS)
    book = book_create(actor=g.user, **values)
    location = url_for("books.get_book", book_id=book.pk, _external=True)
    return {"data": book_public(book)}, 201, {"Location": location}


@bp.get("/<digits:book_id>")
@cached_read
@documented("books", auth="optional", resp=answers(
    (200, BookEnvelope, "The book."), 401, 404, 429, 503, words=BOOK_ERRORS))
def get_book(book_id: int) -> dict[str, Any]:
    """Read a book

    `X-Cache` says whether the cache answered.
    \f
    Runs on a cache MISS only. :raise 404: no such book.
    """
    return {"data": book_public(_book_or_404(book_id))}


@bp.put("/<digits:book_id>")
@documented("books", auth="required", json=BookReplace, resp=answers(
    (200, BookEnvelope, "The replaced book."), *_WRITE_ERRORS, words=BOOK_ERRORS))
@login_required
@editable_book
@rate_limited()
def replace_book(book_id: int) -> dict[str, Any]:
    """Replace a book (its creator or an admin)

    Every field is sent; optional fields left out are reset to their defaults.
    """
    values = fields(json_object(), BOOK_FIELDS)
    book = book_update(actor=g.user, book=g.book, values=values, partial=False)
    return {"data": book_public(book)}


@bp.patch("/<digits:book_id>")
@documented("books", auth="required", json=BookUpdate, resp=answers(
    (200, BookEnvelope, "The changed book."), *_WRITE_ERRORS, words=BOOK_ERRORS))
@login_required
@editable_book
@rate_limited()
def update_book(book_id: int) -> dict[str, Any]:
    """Change some fields of a book (its creator or an admin)

    Only the fields sent change.
    """
    values = fields(json_object(), BOOK_FIELDS, partial=True)
    book = book_update(actor=g.user, book=g.book, values=values, partial=True)
    return {"data": book_public(book)}


@bp.delete("/<digits:book_id>")
@documented("books", auth="required", resp=answers(
    (204, None, "Deleted."), 401, 403, 404, 429, 503, words=BOOK_ERRORS))
@login_required
@require_role("admin")
@rate_limited()
def delete_book(book_id: int) -> Response:
    """Delete a book (admins only)

    The book is gone for good.
    """
    book_delete(actor=g.user, book=_book_or_404(book_id))
    return no_content()
