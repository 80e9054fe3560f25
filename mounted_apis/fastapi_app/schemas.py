"""Pydantic models of the FastAPI implementation, named by the way data flows.

    BookCreate / BookReplace / BookUpdate   request bodies   (client -> API)
    BookQuery / UserQuery                   query parameters (client -> API)
    BookPublic, BookEnvelope, BooksPage     responses        (API -> client)

Input models take JSON's types strictly (`"year": "1999"` is refused, `1999.0`
is the integer it spells). Values are checked by the domain's own rule
functions, called from Pydantic validators (`AfterValidator(rules.clean_title)`):
the rule lives in `books/rules.py` once, and its `FieldInvalid` (a ValueError)
becomes an ordinary Pydantic error on that field. The user models check types
only: `accounts.services` checks username, email and password together (the
password must not resemble the username), so it reports every bad field at once.

Each field also states its rule for the OpenAPI document (`_rule(...)`), from
the constants the domain checks against (`common.constraints`); keywords a
client can read but that Pydantic does not check itself (the check is the
domain's) go in through `json_schema_extra`.

Output models are built from the Django model instances
(`from_attributes=True`); none of them has a password field. Datetimes are
written as the other two prefixes write them (`common.rendering.drf_datetime`),
so every prefix sends the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
)
from pydantic.json_schema import SkipJsonSchema

from books import rules as book_rules
from books.listing import BookFilters, SortSpec, parse_sort
from common import constraints as c
from common.errors import FieldInvalid, ValidationFailed
from common.json_body import json_integer
from common.keyset import Cursor
from common.rendering import drf_datetime
from common.text import reject_nul

ApiDateTime = Annotated[datetime, PlainSerializer(drf_datetime, return_type=str)]

# Text without NUL (refused by every text field, common.text).
NO_NUL = r"^[^\x00]*$"
# Trimmed text that is not blank: at least one character that is not a space.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# ISBN-10 or ISBN-13 as people type them, or blank (the check digit: see description).
ISBN_PATTERN = r"^(\s*|[- ]*([0-9][- ]*){9}[0-9Xx][- ]*|[- ]*([0-9][- ]*){12}[0-9][- ]*)$"
STRENGTH = "Checked by Django's password validators (length, common, numeric, similarity)."
USERNAME_RULE = (f"{c.USERNAME_MIN} to {c.USERNAME_MAX} characters: letters and digits of any "
                 "script, and `@`, `.`, `+`, `-`, `_`.")


def _rule(**keywords: Any) -> Any:
    """`Field(json_schema_extra=...)`: what the domain checks, written into the document.

    A keyword given as a function (the year's upper bound, the password's
    minimum length) is computed when the document is generated.
    """

    def extra(schema: dict[str, Any]) -> None:
        schema.update({k: v() if callable(v) else v for k, v in keywords.items()})

    return Field(json_schema_extra=extra)


def _year_max() -> int:
    return c.year_max_on(timezone.now().date())


def _password_min_length() -> int:
    """MinimumLengthValidator's setting in AUTH_PASSWORD_VALIDATORS (8 by default)."""
    from django.contrib.auth.password_validation import (
        MinimumLengthValidator,
        get_default_password_validators,
    )

    for validator in get_default_password_validators():
        if isinstance(validator, MinimumLengthValidator):
            return int(validator.min_length)
    return 1


def _no_nul(value: str) -> str:
    reject_nul(value)
    return value


def _json_integer(value: object) -> object:
    if value is None:
        return value  # StrictInt reports null in its own words
    number = json_integer(value)
    return value if number is None else number  # not an integer: StrictInt says so


# A JSON integer as JSON Schema means it: 1999 or 1999.0, never "1999" or true.
JsonInt = Annotated[StrictInt, BeforeValidator(_json_integer)]


# Base of request bodies: unknown keys are ignored, as the other prefixes ignore them.
class InputModel(BaseModel):
    model_config = ConfigDict(extra="ignore")


# Base of responses: read from Django model instances by attribute.
class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- Errors (documentation of the envelope every error answers with) -----------------


class ErrorDetail(BaseModel):
    field: str = Field(description="The body field or query parameter at fault.")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="validation_error, not_found, conflict, ...")
    message: str = Field(description="Human readable.")
    # Not `| None`: the key is absent, never null, outside validation_error.
    details: list[ErrorDetail] = Field(
        default=None,  # type: ignore[arg-type]  # absent, not null (see above)
        description="Present for validation_error only.",
    )


# Every error of every endpoint (except the OAuth2 token endpoint).
class ErrorEnvelope(BaseModel):
    error: ErrorBody


# RFC 6749 §5.2: the token endpoint's own error shape.
class OAuthErrorBody(BaseModel):
    error: str = Field(description="invalid_request, invalid_grant, unsupported_grant_type, ...")
    error_description: str


# --- Query parameters ----------------------------------------------------------------


def _ascii_digits(value: object) -> object:
    """Query integers are ASCII digits: Python's int() would also read "２" or "٢"."""
    if isinstance(value, str) and not (value.isascii() and value.lstrip("-").isdigit()):
        raise FieldInvalid("Enter a whole number in ASCII digits.")
    return value


QueryInt = Annotated[int, BeforeValidator(_ascii_digits)]
SearchText = Annotated[
    str, AfterValidator(_no_nul), Field(max_length=c.SEARCH_MAX), _rule(pattern=NO_NUL)
]
QueryYear = Annotated[QueryInt, AfterValidator(book_rules.clean_year),
                      _rule(minimum=c.YEAR_MIN, maximum=_year_max)]
# The bounds before the digit check, so Pydantic writes them as minimum/maximum.
# Each list describes its `page` itself: where its depth bound leads differs.
Page = Annotated[int, Field(ge=c.PAGE_MIN), BeforeValidator(_ascii_digits)]
PageSize = Annotated[int, Field(ge=1, le=c.MAX_PAGE_SIZE,
                                description=f"Items per page, 1..{c.MAX_PAGE_SIZE}."),
                     BeforeValidator(_ascii_digits)]

CURSOR_DESCRIPTION = (
    "Keyset paging, for deep pages: send it empty (`cursor=`) for the first page, then "
    "the URL in links.next or links.prev. Not with `page`. Cursor answers have no "
    "total: meta holds page_size only."
)
SEARCH_RUN_RULE = (
    f"At least {c.SEARCH_RUN_MIN} letters or digits in a row, else 422: shorter text "
    "matches too widely to look up in the index."
)
BOOK_PAGE_DESCRIPTION = (
    f"Page number, from {c.PAGE_MIN}. Numbered pages reach the first {c.PAGE_ROWS_MAX} "
    f"rows (page * page_size <= {c.PAGE_ROWS_MAX}); a deeper page is a 422: page on "
    "with `cursor` (the last numbered page's links.next is one)."
)
USER_PAGE_DESCRIPTION = (
    f"Page number, from {c.PAGE_MIN}. Numbered pages reach the first {c.PAGE_ROWS_MAX} "
    f"rows (page * page_size <= {c.PAGE_ROWS_MAX}); a deeper page is a 422: narrow the "
    "list with its filters."
)
SORT_DESCRIPTION = (
    "Comma list of `field` or `field:asc|desc`, each field at most once; "
    f"fields: {', '.join(c.SORT_FIELDS)}. Ties are always broken by id."
)


def _sort(value: str) -> str:
    if not value.strip():
        return c.DEFAULT_SORT  # `sort=` says nothing: the default order
    parse_sort(value)  # books.listing: the allowlist, the directions; SortInvalid is a ValueError
    return value


def _cursor(value: str) -> str:
    """An empty cursor starts keyset paging; any other must be one of ours (signed)."""
    if value:
        try:
            Cursor.decode(value)
        except ValidationFailed as failed:
            raise FieldInvalid(failed.details[0].message) from None
    return value


# GET /books?search=tolkien&year_from=1950&sort=year:desc&page=2
#
# Every parameter optional; `None` means "not given". `extra="forbid"` is not
# set: an unknown parameter is ignored, as at the other prefixes.
class BookQuery(BaseModel):
    search: SearchText | SkipJsonSchema[None] = Field(
        None, description=f"Title or author contains (any case). {SEARCH_RUN_RULE}")
    title_contains: SearchText | SkipJsonSchema[None] = Field(
        None, description=f"Title contains (any case). {SEARCH_RUN_RULE}")
    author: SearchText | SkipJsonSchema[None] = Field(
        None, description="Author equals (any case).")
    year_from: QueryYear | SkipJsonSchema[None] = Field(None, description="Year >= this.")
    year_to: QueryYear | SkipJsonSchema[None] = Field(None, description="Year <= this.")
    sort: Annotated[str, AfterValidator(_sort), _rule(pattern=c.sort_pattern())] = Field(
        c.DEFAULT_SORT, description=SORT_DESCRIPTION)
    page: Page = Field(1, description=BOOK_PAGE_DESCRIPTION)
    page_size: PageSize = c.DEFAULT_PAGE_SIZE
    cursor: Annotated[
        str, Field(max_length=c.CURSOR_MAX_LENGTH), AfterValidator(_no_nul),
        AfterValidator(_cursor), _rule(pattern=NO_NUL),
    ] | SkipJsonSchema[None] = Field(None, description=CURSOR_DESCRIPTION)

    def filters(self) -> BookFilters:
        return BookFilters(search=self.search, title_contains=self.title_contains,
                           author=self.author, year_from=self.year_from, year_to=self.year_to)

    def sort_spec(self) -> SortSpec:
        return parse_sort(self.sort)


# GET /users?search=ali&role=admin&is_active=true&page=1
class UserQuery(BaseModel):
    search: SearchText | SkipJsonSchema[None] = Field(
        None, description="Username or email contains (any case).")
    role: Literal["user", "admin"] | SkipJsonSchema[None] = Field(
        None, description="Only users with this role.")
    is_active: Literal["true", "false"] | SkipJsonSchema[None] = Field(
        None, description="Only active (`true`) or inactive (`false`) users.")
    page: Page = Field(1, description=USER_PAGE_DESCRIPTION)
    page_size: PageSize = c.DEFAULT_PAGE_SIZE

    def filter_values(self) -> dict[str, str]:
        """The filters given, as `accounts.filters` reads them."""
        given = {"search": self.search, "role": self.role, "is_active": self.is_active}
        return {name: value for name, value in given.items() if value is not None}


# --- Pagination ---------------------------------------------------------------------------


def _absent(value: object) -> bool:
    return value is None


# Page-number answers hold all four counts; `?cursor=` answers only `page_size`.
# Keys that do not apply are left out of the JSON (not `null`).
class PageMeta(BaseModel):
    # SkipJsonSchema[None]: absent, never null, so the document says "integer" (optional).
    page: int | SkipJsonSchema[None] = Field(default=None, exclude_if=_absent)
    page_size: int
    total: int | SkipJsonSchema[None] = Field(default=None, exclude_if=_absent)
    pages: int | SkipJsonSchema[None] = Field(default=None, exclude_if=_absent)
    total_is_estimate: bool | SkipJsonSchema[None] = Field(
        default=None,
        exclude_if=_absent,
        description="Present (true) when `total` is the database's estimate, not a count.",
    )


class PageLinks(BaseModel):
    self: str
    next: str | None
    prev: str | None


# --- Books -------------------------------------------------------------------------------

Title = Annotated[StrictStr, AfterValidator(book_rules.clean_title),
                  _rule(minLength=1, maxLength=c.TITLE_MAX, pattern=NOT_BLANK)]
Author = Annotated[StrictStr, AfterValidator(book_rules.clean_author),
                   _rule(minLength=1, maxLength=c.AUTHOR_MAX, pattern=NOT_BLANK)]
Year = Annotated[JsonInt, AfterValidator(book_rules.clean_year),
                 _rule(minimum=c.YEAR_MIN, maximum=_year_max)]
Isbn = Annotated[StrictStr | None, AfterValidator(book_rules.clean_isbn), _rule(
    pattern=ISBN_PATTERN,
    description="ISBN-10 or ISBN-13 (hyphens and spaces ignored) with a valid check digit; "
                "stored as ISBN-13. Blank or null: no ISBN.")]
Description = Annotated[StrictStr | None, AfterValidator(book_rules.clean_description),
                        _rule(maxLength=c.DESCRIPTION_MAX, pattern=NO_NUL)]


# POST /books. title, author, year required; isbn and description optional.
class BookCreate(InputModel):
    title: Title
    author: Author
    year: Year
    isbn: Isbn = None
    description: Description = None


# PUT /books/{id}: the whole book; optional fields left out go back to defaults.
class BookReplace(BookCreate):
    pass


# PATCH /books/{id}: any subset of the fields.
#
# title/author/year may be left out but not sent as null: a `None` default
# is never validated, an explicit null is. Only the keys the client sent are
# passed on (`model_dump(exclude_unset=True)`).
class BookUpdate(InputModel):
    title: Title = None  # type: ignore[assignment]
    author: Author = None  # type: ignore[assignment]
    year: Year = None  # type: ignore[assignment]
    isbn: Isbn = None
    description: Description = None


class BookPublic(OutputModel):
    id: int
    title: str
    author: str
    year: int
    isbn: str | None
    description: str
    created_by: int = Field(validation_alias="created_by_id")
    created_at: ApiDateTime
    updated_at: ApiDateTime


class BookEnvelope(BaseModel):
    data: BookPublic


class BooksPage(BaseModel):
    data: list[BookPublic]
    meta: PageMeta
    links: PageLinks


# --- Users and auth ---------------------------------------------------------------------

Email = Annotated[StrictStr, _rule(format="email", maxLength=c.EMAIL_MAX)]
Password = Annotated[StrictStr, _rule(minLength=_password_min_length, pattern=NO_NUL,
                                      format="password", description=STRENGTH)]
# A value that must be there (a token, a uid): not empty, no NUL.
Token = Annotated[StrictStr, _rule(minLength=1, pattern=NO_NUL)]


# POST /auth/register. Values (length, charset, email, password strength): accounts.services.
class UserRegister(InputModel):
    username: Annotated[StrictStr, _rule(minLength=c.USERNAME_MIN, maxLength=c.USERNAME_MAX,
                                         pattern=NO_NUL, description=USERNAME_RULE)]
    email: Email
    password: Password


# PATCH /users/{id}. Self: email, password + current_password; admin: role, is_active.
class UserUpdate(InputModel):
    email: Email = None  # type: ignore[assignment]
    password: Annotated[StrictStr, _rule(
        minLength=_password_min_length, pattern=NO_NUL, format="password",
        description=f"{STRENGTH} Changing your own needs `current_password`.",
    )] = None  # type: ignore[assignment]
    current_password: Annotated[StrictStr, _rule(
        minLength=1, pattern=NO_NUL, format="password",
        description="Your current password: required with `password` on your own account.",
    )] = None  # type: ignore[assignment]
    role: Annotated[StrictStr, _rule(enum=list(c.ROLES), description="Admin only.")] = None  # type: ignore[assignment]
    is_active: StrictBool = Field(default=None, description="Admin only.")  # type: ignore[assignment]


class UserPublic(OutputModel):
    id: int
    username: str
    email: str
    role: Literal["user", "admin"]
    is_active: bool
    date_joined: ApiDateTime


class UserEnvelope(BaseModel):
    data: UserPublic


class UsersPage(BaseModel):
    data: list[UserPublic]
    meta: PageMeta
    links: PageLinks


class RefreshRequest(InputModel):
    refresh_token: Token


class LogoutRequest(InputModel):
    # Optional: empty or null means "only this access token".
    refresh_token: Annotated[StrictStr | None, _rule(pattern=NO_NUL)] = Field(
        default=None, description="Also revoke this refresh token's login."
    )


# POST /auth/password-reset. The address is checked (and looked up) by the domain.
class PasswordResetRequest(InputModel):
    email: Email


# POST /auth/password-reset/confirm: the two values from the email, and the new password.
class PasswordResetConfirmRequest(InputModel):
    uid: Token
    token: Token
    new_password: Password


# RFC 6749 §5.1.
class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Seconds until the access token expires.")


# --- Demos and health ---------------------------------------------------------------------


class Message(BaseModel):
    message: str


class MessageEnvelope(BaseModel):
    data: Message


# Presence and JSON type only; an empty value is just a wrong credential.
class BfDemoLogin(InputModel):
    username: Annotated[StrictStr, _rule(minLength=1)]
    password: Annotated[StrictStr, _rule(minLength=1, format="password")]


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

