"""What the Flask views take and answer, as Pydantic models for the OpenAPI document.

    @bp.post("")
    @spec.validate(json=BookCreate, resp=answers(201, BookEnvelope, ...), ...)
    def create_book(): ...

spectree reads these models (openapi.py) to write `/openapi.json`; it never
validates a request with them (`skip_validation=True`): the views parse
explicitly (parsing.py) and the domain checks the values (books/rules.py,
accounts/rules.py). So the constraints below say, for clients, what those
checks enforce; the numbers come from `common.constraints`, the same
constants the checks use. A value that moves at run time (next year, the
password length setting) is written into the schema when the document is
generated, by a `json_schema_extra` function.

Names say which way data flows: `BookCreate` (client to API), `BookPublic`
(API to client), `BooksPage` (a list answer).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.json_schema import SkipJsonSchema

from books.rules import year_max
from common import constraints as c

# Text without NUL (refused by every text field, see common.text).
NO_NUL = r"^[^\x00]*$"
# Trimmed text that is not blank: at least one character that is not a space.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# ISBN-10 or ISBN-13 as people type them: digits with optional hyphens or
# spaces, or blank (no ISBN). The check digit is verified too (see the field).
ISBN_PATTERN = r"^(\s*|[- ]*([0-9][- ]*){9}[0-9Xx][- ]*|[- ]*([0-9][- ]*){12}[0-9][- ]*)$"

USERNAME_RULE = (f"{c.USERNAME_MIN} to {c.USERNAME_MAX} characters: letters and digits of any "
                 "script, and `@`, `.`, `+`, `-`, `_`.")
STRENGTH = "Checked by Django's password validators (length, common, numeric, similarity)."

# Absent when not sent: documented as optional, never as `null`. (Constraints of
# such a field go on its `str`, as below: on the union, Pydantic drops `pattern`.)
Optional = SkipJsonSchema[None]
SearchText = Annotated[str, StringConstraints(max_length=c.SEARCH_MAX, pattern=NO_NUL)]
Secret = Annotated[str, StringConstraints(pattern=NO_NUL)]


def _year_bounds(schema: dict[str, Any]) -> None:
    # Next year moves every New Year: read when the document is generated.
    schema.update(minimum=c.YEAR_MIN, maximum=year_max())


def _password_length(schema: dict[str, Any]) -> None:
    """MinimumLengthValidator's setting in AUTH_PASSWORD_VALIDATORS (8 by default)."""
    from django.contrib.auth.password_validation import (
        MinimumLengthValidator,
        get_default_password_validators,
    )

    lengths = [v.min_length for v in get_default_password_validators()
               if isinstance(v, MinimumLengthValidator)]
    schema["minLength"] = int(lengths[0]) if lengths else 1


def _password(description: str | None = None) -> Any:
    return Field(pattern=NO_NUL, description=description,
                 json_schema_extra=_with_format("password", _password_length))


def _with_format(fmt: str, then: Any = None) -> Any:
    def extra(schema: dict[str, Any]) -> None:
        schema["format"] = fmt
        if then is not None:
            then(schema)
    return extra


def _email() -> Any:
    return Field(max_length=c.EMAIL_MAX, json_schema_extra={"format": "email"})


# A nullable text's rules sit beside its `anyOf` (string or null), where clients
# reading `properties.description.maxLength` find them.
def _isbn() -> Any:
    return Field(None, json_schema_extra={"pattern": ISBN_PATTERN}, description=(
        "ISBN-10 or ISBN-13 (hyphens and spaces ignored) with a valid check digit; "
        "stored as ISBN-13. Blank or null: no ISBN."))


def _description() -> Any:
    return Field(None, json_schema_extra={"maxLength": c.DESCRIPTION_MAX, "pattern": NO_NUL})


# --- Errors ------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    field: str = Field(description="The body field or query parameter at fault.")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="validation_error, not_found, conflict, ...")
    message: str = Field(description="Human readable.")
    details: list[ErrorDetail] | Optional = Field(
        None, description="Present for validation_error only.")


class ErrorEnvelope(BaseModel):
    """Every error of every endpoint, except the token endpoint's."""

    error: ErrorBody


class OAuthErrorBody(BaseModel):
    """RFC 6749 §5.2: the token endpoint's error shape."""

    error: str = Field(description="invalid_request, invalid_grant, unsupported_grant_type, ...")
    error_description: str


# --- Lists -------------------------------------------------------------------------


class PageMeta(BaseModel):
    # Page-number answers hold all four counts; `?cursor=` answers only page_size.
    page: int | Optional = None
    page_size: int
    total: int | Optional = None
    pages: int | Optional = None
    total_is_estimate: bool | Optional = Field(
        None, description="Present (true) when `total` is the database's estimate, not a count.")


class PageLinks(BaseModel):
    self: str
    next: str | None
    prev: str | None


SEARCH_RUN_RULE = (f"At least {c.SEARCH_RUN_MIN} letters or digits in a row, else 422: "
                   "shorter text matches too widely to look up in the index.")


class BookListQuery(BaseModel):
    """GET /books's query string (parsing.book_list_args reads it)."""

    model_config = ConfigDict(regex_engine="python-re")  # the sort pattern has a lookahead

    search: SearchText | Optional = Field(
        None, description=f"Title or author contains (any case). {SEARCH_RUN_RULE}")
    title_contains: SearchText | Optional = Field(
        None, description=f"Title contains (any case). {SEARCH_RUN_RULE}")
    author: SearchText | Optional = Field(None, description="Author equals (any case).")
    year_from: int | Optional = Field(None, description="Year >= this.",
                                      json_schema_extra=_year_bounds)
    year_to: int | Optional = Field(None, description="Year <= this.",
                                    json_schema_extra=_year_bounds)
    sort: str = Field(c.DEFAULT_SORT, pattern=c.sort_pattern(), description=(
        "Comma list of `field` or `field:asc|desc`, each field at most once; "
        f"fields: {', '.join(c.SORT_FIELDS)}. Ties are always broken by id."))
    page: int = Field(1, ge=c.PAGE_MIN, description=(
        f"Page number, from {c.PAGE_MIN}. Numbered pages reach the first {c.PAGE_ROWS_MAX} "
        f"rows (page * page_size <= {c.PAGE_ROWS_MAX}); a deeper page is a 422: page on "
        "with `cursor` (the last numbered page's links.next is one)."))
    page_size: int = Field(c.DEFAULT_PAGE_SIZE, ge=1, le=c.MAX_PAGE_SIZE,
                           description=f"Items per page, 1..{c.MAX_PAGE_SIZE}.")
    cursor: Annotated[str, StringConstraints(max_length=c.CURSOR_MAX_LENGTH, pattern=NO_NUL)] \
        | Optional = Field(None, description=(
        "Keyset paging, for deep pages: send it empty (`cursor=`) for the first page, then "
        "the URL in links.next or links.prev. Not with `page`. Cursor answers have no "
        "total: meta holds page_size only."))


class UserListQuery(BaseModel):
    """GET /users's query string (parsing.user_list_args reads it)."""

    search: SearchText | Optional = Field(None,
                                          description="Username or email contains (any case).")
    role: Literal["user", "admin"] | Optional = Field(
        None, description="Only users with this role.")
    is_active: Literal["true", "false"] | Optional = Field(
        None, description="Only active (`true`) or inactive (`false`) users.")
    page: int = Field(1, ge=c.PAGE_MIN, description=(
        f"Page number, from {c.PAGE_MIN}. Numbered pages reach the first {c.PAGE_ROWS_MAX} "
        f"rows (page * page_size <= {c.PAGE_ROWS_MAX}); a deeper page is a 422: narrow the "
        "list with its filters."))
    page_size: int = Field(c.DEFAULT_PAGE_SIZE, ge=1, le=c.MAX_PAGE_SIZE,
                           description=f"Items per page, 1..{c.MAX_PAGE_SIZE}.")


class BfDemoStatusQuery(BaseModel):
    username: str | Optional = Field(None, description="Also show this username's counters.")


# --- Books -------------------------------------------------------------------------


class BookCreate(BaseModel):
    """POST /books: title, author, year required; isbn and description optional."""

    title: str = Field(min_length=1, max_length=c.TITLE_MAX, pattern=NOT_BLANK)
    author: str = Field(min_length=1, max_length=c.AUTHOR_MAX, pattern=NOT_BLANK)
    year: int = Field(json_schema_extra=_year_bounds)
    isbn: str | None = _isbn()
    description: str | None = _description()


class BookReplace(BookCreate):
    """PUT /books/{id}: the whole book; optional fields left out go back to defaults."""


class BookUpdate(BaseModel):
    """PATCH /books/{id}: any subset of the fields (title, author, year never null)."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=c.TITLE_MAX,
                                            pattern=NOT_BLANK)] | Optional = None
    author: Annotated[str, StringConstraints(min_length=1, max_length=c.AUTHOR_MAX,
                                             pattern=NOT_BLANK)] | Optional = None
    year: int | Optional = Field(None, json_schema_extra=_year_bounds)
    isbn: str | None = _isbn()
    description: str | None = _description()


class BookPublic(BaseModel):
    id: int
    title: str
    author: str
    year: int
    isbn: str | None
    description: str
    created_by: int
    created_at: str
    updated_at: str


class BookEnvelope(BaseModel):
    data: BookPublic


class BooksPage(BaseModel):
    data: list[BookPublic]
    meta: PageMeta
    links: PageLinks


# --- Users and auth -----------------------------------------------------------------


class UserRegister(BaseModel):
    # No `pattern` beyond NO_NUL: Django accepts letters and digits of every
    # script, and `\w` means ASCII to the ECMA-262 regexes OpenAPI tools use.
    username: str = Field(min_length=c.USERNAME_MIN, max_length=c.USERNAME_MAX,
                          pattern=NO_NUL, description=USERNAME_RULE)
    email: str = _email()
    password: str = _password(STRENGTH)


class UserUpdate(BaseModel):
    """PATCH /users/{id}. Yourself: email, password (+ current_password); admins: all."""

    email: str | Optional = Field(None, max_length=c.EMAIL_MAX,
                                  json_schema_extra={"format": "email"})
    password: Secret | Optional = Field(
        None,
        description=f"{STRENGTH} Changing your own needs `current_password`.",
        json_schema_extra=_with_format("password", _password_length))
    current_password: Annotated[str, StringConstraints(min_length=1, pattern=NO_NUL)] \
        | Optional = Field(None, json_schema_extra={"format": "password"},
        description="Your current password: required with `password` on your own account.")
    role: Literal["user", "admin"] | Optional = Field(
        None, description='"user" or "admin" (admin only).')
    is_active: bool | Optional = Field(None, description="Admin only.")


class UserPublic(BaseModel):
    id: int
    username: str
    email: str
    role: Literal["user", "admin"]
    is_active: bool
    date_joined: str


class UserEnvelope(BaseModel):
    data: UserPublic


class UsersPage(BaseModel):
    data: list[UserPublic]
    meta: PageMeta
    links: PageLinks


class TokenForm(BaseModel):
    """RFC 6749's token request (form-encoded): the password or the refresh_token grant."""

    grant_type: Literal["password", "refresh_token"] = "password"
    username: str | Optional = Field(None, min_length=1, description="For grant_type=password.")
    password: str | Optional = Field(None, min_length=1, description="For grant_type=password.",
                                     json_schema_extra={"format": "password"})
    refresh_token: str | Optional = Field(None, min_length=1,
                                          description="For grant_type=refresh_token.")


class TokenResponse(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, pattern=NO_NUL)


class LogoutRequest(BaseModel):
    refresh_token: str | None = Field(None, json_schema_extra={"pattern": NO_NUL},
                                      description="Also revoke this refresh token's login.")


class PasswordResetRequest(BaseModel):
    email: str = _email()


class PasswordResetConfirmRequest(BaseModel):
    uid: str = Field(min_length=1, pattern=NO_NUL)
    token: str = Field(min_length=1, pattern=NO_NUL)
    new_password: str = _password(STRENGTH)


# --- Demos and health ----------------------------------------------------------------


class Message(BaseModel):
    message: str


class MessageEnvelope(BaseModel):
    data: Message


class BfDemoLogin(BaseModel):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1, json_schema_extra={"format": "password"})


class BfDemoAuthenticated(BaseModel):
    authenticated: bool


class BfDemoLoginEnvelope(BaseModel):
    data: BfDemoAuthenticated


class BfDemoFailures(BaseModel):
    username: int | None
    ip: int


class BfDemoStatus(BaseModel):
    namespace: str
    username: str | None
    ip: str
    failures: BfDemoFailures
    max_failures: int
    failure_window: int
    locked: bool
    locked_until: str | None = Field(description="ISO 8601 UTC, or null when not locked.")
    retry_after: int | None


class BfDemoStatusEnvelope(BaseModel):
    data: BfDemoStatus


class HealthChecks(BaseModel):
    database: str
    cache: str


class HealthReport(BaseModel):
    status: str
    checks: HealthChecks
