"""JSON out, byte for byte as every prefix writes it, and the resources' shapes.

Flask turns a view's dict return value into JSON with `app.json`; its
default provider sorts keys, escapes non-ASCII and appends a newline. The
contract wants the same bytes at every prefix, so `ContractJSONProvider`
writes keys in insertion order, UTF-8, compact separators, no NaN, nothing
after the closing brace.

The `*_public` functions are the output shapes: one dict per resource,
fields in the contract's order. None of them has a password field.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app
from flask.json.provider import DefaultJSONProvider

from accounts.models import User
from books.models import Book
from common.keyset import CursorPageResult
from common.pagination import PageResult
from common.rendering import drf_datetime


class ContractJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("separators", (",", ":"))
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """`jsonify`'s answer, as JSONProvider.response documents it, without a trailing newline.

        One positional value is serialized as it is, several as a list,
        keyword arguments as an object, nothing as `null`; not both kinds.
        (DefaultJSONProvider.response would append a newline.)
        """
        if args and kwargs:
            raise TypeError("app.json.response() takes either args or kwargs, not both")
        obj = args[0] if len(args) == 1 else (list(args) or kwargs or None)
        return current_app.response_class(self.dumps(obj), mimetype=self.mimetype)


def book_public(book: Book) -> dict[str, Any]:
    return {
        "id": book.pk,
        "title": book.title,
        "author": book.author,
        "year": book.year,
        "isbn": book.isbn,
        "description": book.description,
        "created_by": book.created_by_id,
        "created_at": drf_datetime(book.created_at),
        "updated_at": drf_datetime(book.updated_at),
    }


def user_public(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "role": str(user.role),
        "is_active": bool(user.is_active),
        "date_joined": drf_datetime(user.date_joined),
    }


def page_body(
    items: list[dict[str, Any]],
    result: PageResult | CursorPageResult,
    links: dict[str, str | None],
) -> dict[str, Any]:
    """`{"data", "meta", "links"}`: the body of every list endpoint."""
    return {"data": items, "meta": result.meta(), "links": links}


def no_content() -> Response:
    """204: no body."""
    return Response(status=204)


def drop_content_type_without_body(response: Response) -> Response:
    """after_request: a 204 has no body, so no Content-Type either.

    werkzeug gives every Response a default Content-Type (text/html); the
    contract's 204s carry none, at every prefix.
    """
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(drop_content_type_without_body)
