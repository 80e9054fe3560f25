"""/books: public, cached reads; authenticated writes.

Each view parses (parsing.py: presence and JSON type), calls one selector
or service (which own every rule), and renders (rendering.book_public).
The two reads are `@cached_read` (ratelimit.py): the stored body, the
token and the budget in one round trip. Check order, the same as DRF's
BookViewSet, which has no permission class:
bad token 401 (auth.load_user), rate limit, no user 401, body 400/422, the
book exists 404, permission 403, values 422, uniqueness 409.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request, url_for

from books.models import Book
from books.selectors import book_get, book_page
from books.services import book_create, book_delete, book_update
from common.errors import NotFound
from common.pagination import page_links

from ..auth import require_login
from ..parsing import Integer, String, json_object, query_params, validate
from ..ratelimit import cached_read, rate_limited
from ..rendering import book_public, no_content, page_body

bp = Blueprint("books", __name__, url_prefix="/books")

# POST and PUT: title, author, year required; isbn and description optional, nullable.
BOOK_INPUT = {
    "title": String(),
    "author": String(),
    "year": Integer(),
    "isbn": String(required=False, allow_null=True),
    "description": String(required=False, allow_null=True),
}


def _book_or_404(book_id: int) -> Book:
    book = book_get(book_id=book_id)
    if book is None:
        raise NotFound()
    return book


@bp.get("")
@cached_read
def list_books() -> dict[str, Any]:
    """Filters, sort and paging from the query string (books.filters); on a cache MISS only.

    :raise 422: a bad parameter, named in `details`.
    """
    params = query_params()
    result = book_page(params=params)
    links = page_links(request.base_url, params, result)
    return page_body([book_public(book) for book in result.items], result, links)


@bp.get("/<digits:book_id>")
@cached_read
def get_book(book_id: int) -> dict[str, Any]:
    """On a cache MISS only. :raise 404: no such book."""
    book = book_get(book_id=book_id)
    if book is None:
        raise NotFound()
    return {"data": book_public(book)}


@bp.post("")
@rate_limited()
@require_login
def create_book() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Any authenticated user; 201 with the new book's URL in Location."""
    values = validate(json_object(), BOOK_INPUT)
    book = book_create(actor=g.user, **values)
    location = url_for("books.get_book", book_id=book.pk, _external=True)
    return {"data": book_public(book)}, 201, {"Location": location}


@bp.put("/<digits:book_id>")
@rate_limited()
@require_login
def replace_book(book_id: int) -> dict[str, Any]:
    """Creator or admin; optional fields left out go back to their defaults."""
    return _update(book_id, partial=False)


@bp.patch("/<digits:book_id>")
@rate_limited()
@require_login
def update_book(book_id: int) -> dict[str, Any]:
    """Creator or admin; only the fields sent change."""
    return _update(book_id, partial=True)


def _update(book_id: int, *, partial: bool) -> dict[str, Any]:
    values = validate(json_object(), BOOK_INPUT, partial=partial)
    book = book_update(actor=g.user, book=_book_or_404(book_id), values=values, partial=partial)
    return {"data": book_public(book)}


@bp.delete("/<digits:book_id>")
@rate_limited()
@require_login
def delete_book(book_id: int) -> Response:
    """Admin only (books.services decides): 403 for anyone else."""
    book_delete(actor=g.user, book=_book_or_404(book_id))
    return no_content()
