"""Reading the request, explicitly: JSON bodies, the token form, query strings.

    data = json_object()                                  # 400: not a JSON object
    values = fields(data, BOOK_FIELDS)                    # 422: missing or mistyped
    book = book_create(actor=g.user, **values)            # 422/409: the domain's rules

    filters, sort, paging = book_list_args()              # 422 naming each bad parameter

Flask leaves parsing to the application, so these are small functions that
read `request.get_data()` and `request.args` and raise the domain's
`ValidationFailed` (one `FieldError` per bad field or parameter); the error
handler (errors.py) answers the envelope. They check presence, JSON type and
the shape of a query value (one value, ASCII digits for a number); the value
rules (lengths, the year range, NUL, the sort allowlist) are the domain's
(books/rules.py, books/listing.py, common/text.py), called from here.

The body rule itself (what is JSON, how deep, which content type) is the
contract's, shared by every framework (`common.json_body`): Flask's
`request.get_json()` would accept NaN and recurse without a limit.
The messages are this app's own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from accounts.oauth import MSG_FORM_ENCODED
from books.listing import (
    DEFAULT_SORT,
    BookFilters,
    SortInvalid,
    SortSpec,
    order_by_fields,
    parse_sort,
)
from books.rules import clean_year
from common.constraints import (
    BOOLEAN_QUERY_VALUES,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PAGE_MIN,
    ROLES,
    SEARCH_MAX,
)
from common.errors import FieldError, FieldInvalid, OAuthError, ValidationFailed
from common.json_body import json_integer, json_object_body
from common.keyset import MSG_CURSOR_OTHER_SORT, Cursor
from common.media_types import FORM_MEDIA_TYPE
from common.pagination import PageParams, cursor_param_errors
from common.text import reject_nul

MSG_MISSING = "Missing field."
MSG_NOT_NULL = "Must not be null."
MSG_NOT_STRING = "Must be a string."
MSG_NOT_INTEGER = "Must be an integer."
MSG_NOT_BOOLEAN = "Must be true or false."
MSG_REPEATED = "Give this parameter once."
MSG_NOT_A_NUMBER = "Must be a whole number written with the digits 0-9."
MSG_AT_LEAST = "Must be at least {min}."
MSG_AT_MOST = "Must be at most {max}."
MSG_TOO_LONG = "Must be at most {max} characters long."
MSG_ONE_OF = "Must be one of: {choices}."

# A number in a query string: ASCII digits only. Python's int() also reads
# "２" and "٢" (any Unicode digit), which no client means as a page number.
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")


# --- JSON bodies ------------------------------------------------------------------------


def json_object() -> dict[str, Any]:
    """The body as a JSON object; an empty body is `{}`.

    :raise BadRequest: wrong content type, not JSON, too deep, a lone
        surrogate, or JSON that is not an object (`null`, a list) (400).
    """
    return json_object_body(request.get_data(cache=True), request.content_type)


def token_form() -> dict[str, str | None]:
    """The url-encoded form of the OAuth2 token endpoint, from `request.form`.

    Repeated names: the last wins (as DRF reads them). An empty body is an
    empty form (then `accounts.oauth.token_grant` names the missing parameter).

    :raise OAuthError: invalid_request for a non-empty body of another type.
    """
    if request.mimetype != FORM_MEDIA_TYPE:
        if request.get_data(cache=True):
            raise OAuthError("invalid_request", MSG_FORM_ENCODED)
        return {}
    return {name: values[-1] for name, values in request.form.lists()}


@dataclass(frozen=True)
class Field:
    """One key of a JSON object: which JSON type it holds, and whether it must be there."""

    kind: type  # str, int or bool
    required: bool = True
    nullable: bool = False


def string(*, required: bool = True, nullable: bool = False) -> Field:
    return Field(str, required, nullable)


def integer(*, required: bool = True) -> Field:
    return Field(int, required)


def boolean(*, required: bool = True) -> Field:
    return Field(bool, required)


_TYPE_MESSAGES = {str: MSG_NOT_STRING, int: MSG_NOT_INTEGER, bool: MSG_NOT_BOOLEAN}


def _typed(value: Any, kind: type) -> tuple[bool, Any]:
    if kind is int:
        # JSON's integer: 1999 and 1999.0, never true or "1999".
        number = json_integer(value)
        return number is not None, number
    return isinstance(value, kind), value


def fields(data: Mapping[str, Any], expected: Mapping[str, Field], *,
           partial: bool = False) -> dict[str, Any]:
    """The keys of `data` that `expected` names, checked for presence, null and JSON type.

    Unknown keys are ignored; a key left out is left out of the result (a
    PATCH passes on only what was sent); with `partial=True` none is required.

    :raise ValidationFailed: one detail per bad field, in `expected`'s order (422).
    """
    values: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name, field in expected.items():
        if name not in data:
            if field.required and not partial:
                errors.append(FieldError(name, MSG_MISSING))
            continue
        value = data[name]
        if value is None:
            if field.nullable:
                values[name] = None
            else:
                errors.append(FieldError(name, MSG_NOT_NULL))
            continue
        ok, typed = _typed(value, field.kind)
        if ok:
            values[name] = typed
        else:
            errors.append(FieldError(name, _TYPE_MESSAGES[field.kind]))
    if errors:
        raise ValidationFailed(errors)
    return values


# --- Query strings ------------------------------------------------------------------------


class _Query:
    """One query string, read parameter by parameter; the errors pile up for one 422."""

    def __init__(self, args: MultiDict[str, str]) -> None:
        self.args = args
        self.errors: list[FieldError] = []

    def fail(self, name: str, message: str) -> None:
        self.errors.append(FieldError(name, message))

    def one(self, name: str) -> str | None:
        """The parameter's value; None when absent (or repeated: an error)."""
        values = self.args.getlist(name)
        if len(values) > 1:
            self.fail(name, MSG_REPEATED)
            return None
        return values[0] if values else None

    def text(self, name: str) -> str | None:
        """A search text: at most SEARCH_MAX characters, no NUL; empty means absent."""
        value = self.one(name)
        if not value:
            return None
        return self.check(name, value, _search_text)

    def number(self, name: str, *, minimum: int | None = None,
               maximum: int | None = None) -> int | None:
        """A whole number in ASCII digits within the bounds; absent is None, empty an error."""
        value = self.one(name)
        if value is None:
            return None
        text = value.strip()
        if not _ASCII_INTEGER.fullmatch(text):
            self.fail(name, MSG_NOT_A_NUMBER)
            return None
        number = int(text)
        if minimum is not None and number < minimum:
            self.fail(name, MSG_AT_LEAST.format(min=minimum))
            return None
        if maximum is not None and number > maximum:
            self.fail(name, MSG_AT_MOST.format(max=maximum))
            return None
        return number

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.one(name)
        if not value:
            return None
        if value not in choices:
            self.fail(name, MSG_ONE_OF.format(choices=", ".join(choices)))
            return None
        return value

    def check(self, name: str, value: Any, rule: Callable[[Any], Any]) -> Any:
        """`rule(value)`, a domain rule; its FieldInvalid becomes this parameter's error."""
        try:
            return rule(value)
        except (FieldInvalid, SortInvalid) as exc:
            self.fail(name, str(exc))
            return None

    def raise_errors(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def _search_text(value: str) -> str:
    reject_nul(value)
    if len(value) > SEARCH_MAX:
        raise FieldInvalid(MSG_TOO_LONG.format(max=SEARCH_MAX))
    return value


def _paging(query: _Query) -> PageParams:
    page = query.number("page", minimum=PAGE_MIN)
    page_size = query.number("page_size", minimum=1, maximum=MAX_PAGE_SIZE)
    return PageParams(page=page or 1, page_size=page_size or DEFAULT_PAGE_SIZE)


@dataclass(frozen=True)
class BookListArgs:
    """GET /books's query string, read: what `books.listing.book_list` and the pager need."""

    filters: BookFilters
    sort: SortSpec
    paging: PageParams
    cursor_mode: bool  # `?cursor=` was sent (empty: the first page)
    cursor: Cursor | None


def book_list_args() -> BookListArgs:
    """Read GET /books's parameters (schemas.BookListQuery documents them).

    :raise ValidationFailed: every bad parameter, in the documented order (422).
    """
    query = _Query(request.args)
    filters = BookFilters(
        search=query.text("search"),
        title_contains=query.text("title_contains"),
        author=query.text("author"),
        year_from=_year(query, "year_from"),
        year_to=_year(query, "year_to"),
    )
    sort_text = query.one("sort")
    sort = query.check("sort", sort_text, parse_sort) if sort_text else DEFAULT_SORT
    paging = _paging(query)
    cursor, cursor_mode, cursor_errors = cursor_param_errors(request.args)
    query.errors.extend(cursor_errors)
    query.raise_errors()
    if cursor is not None and cursor.ordering != tuple(order_by_fields(sort)):
        raise ValidationFailed([FieldError("cursor", MSG_CURSOR_OTHER_SORT)])
    return BookListArgs(filters, sort or DEFAULT_SORT, paging, cursor_mode, cursor)


def _year(query: _Query, name: str) -> int | None:
    year = query.number(name)
    return query.check(name, year, clean_year) if year is not None else None


@dataclass(frozen=True)
class UserListArgs:
    """GET /users's query string, read."""

    search: str | None
    role: str | None
    is_active: str | None  # "true" or "false"
    paging: PageParams

    def as_params(self) -> dict[str, str]:
        """The checked values as `accounts.selectors.user_page` reads them."""
        params = {"search": self.search, "role": self.role, "is_active": self.is_active,
                  "page": str(self.paging.page), "page_size": str(self.paging.page_size)}
        return {name: value for name, value in params.items() if value is not None}


def user_list_args() -> UserListArgs:
    """Read GET /users's parameters (schemas.UserListQuery documents them).

    :raise ValidationFailed: every bad parameter, in the documented order (422).
    """
    query = _Query(request.args)
    args = UserListArgs(
        search=query.text("search"),
        role=query.choice("role", ROLES),
        is_active=query.choice("is_active", BOOLEAN_QUERY_VALUES),
        paging=_paging(query),
    )
    query.raise_errors()
    return args
