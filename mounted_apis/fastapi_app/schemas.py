"""Pydantic models of the FastAPI implementation, named by the way data flows.

    BookCreate / BookReplace / BookUpdate   request bodies  (client -> API)
    BookPublic, BookEnvelope, BooksPage     responses       (API -> client)

Input models check presence and JSON type only, with Pydantic's *strict*
types: `"year": "1999"` is refused, as the DRF serializers refuse it
(books.views's StrictIntegerField). Every value rule (lengths, ranges, ISBN,
email, password strength, role names) lives in the domain, which raises
ValidationFailed with its own messages, so the 422 bodies match DRF's.

Output models are built from the Django model instances
(`from_attributes=True`); none of them has a password field. Datetimes are
rendered the way DRF's DateTimeField renders them (ISO 8601, UTC as "Z",
microseconds only when non-zero: `common.rendering.drf_datetime`), so every
prefix prints the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
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

from common.errors import MSG_INVALID_INT, FieldInvalid
from common.json_body import json_integer
from common.rendering import drf_datetime

ApiDateTime = Annotated[datetime, PlainSerializer(drf_datetime, return_type=str)]


def _json_integer(value: object) -> object:
    if value is None:
        return value  # StrictInt reports null in its own words ("may not be null")
    number = json_integer(value)
    if number is None:
        raise FieldInvalid(MSG_INVALID_INT)
    return number


# A JSON integer as JSON Schema means it: 1999 or 1999.0, never "1999" or true.
JsonInt = Annotated[StrictInt, BeforeValidator(_json_integer)]


# Base of request bodies: unknown keys are ignored, as DRF ignores them.
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


# --- Pagination ---------------------------------------------------------------------------


def _absent(value: object) -> bool:
    return value is None


# Page-number answers hold all four counts; `?cursor=` answers only `page_size`.
#
# Keys that do not apply are left out of the JSON (not `null`), like the
# domain's `meta()` that the other two frameworks render as it is.
class PageMeta(BaseModel):
    # SkipJsonSchema[None]: absent, never null, so the document says "integer"
    # (optional), as DRF's and Flask's do.
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


# POST /books. title, author, year required; isbn and description optional.
class BookCreate(InputModel):
    title: StrictStr
    author: StrictStr
    year: JsonInt
    isbn: StrictStr | None = Field(default=None, description="ISBN-10 or ISBN-13, hyphens ok.")
    description: StrictStr | None = None


# PUT /books/{id}: the whole book; optional fields left out go back to defaults.
class BookReplace(BookCreate):
    pass


# PATCH /books/{id}: any subset of the fields.
#
# title/author/year may be left out but not sent as null: a `None` default
# is never validated, an explicit null is ("This field may not be null.").
# Only the keys the client sent are passed on (`model_dump(exclude_unset=True)`).
class BookUpdate(InputModel):
    title: StrictStr = None  # type: ignore[assignment]
    author: StrictStr = None  # type: ignore[assignment]
    year: JsonInt = None  # type: ignore[assignment]
    isbn: StrictStr | None = None
    description: StrictStr | None = None


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


# POST /auth/register. Values (length, charset, email, password strength): the domain.
class UserRegister(InputModel):
    username: StrictStr
    email: StrictStr
    password: StrictStr


# PATCH /users/{id}. Self: email, password + current_password; admin: role, is_active.
class UserUpdate(InputModel):
    email: StrictStr = None  # type: ignore[assignment]
    password: StrictStr = None  # type: ignore[assignment]
    current_password: StrictStr = None  # type: ignore[assignment]
    role: StrictStr = Field(default=None, description='"user" or "admin" (admin only).')  # type: ignore[assignment]
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
    refresh_token: StrictStr


class LogoutRequest(InputModel):
    refresh_token: StrictStr | None = Field(
        default=None, description="Also revoke this refresh token's login."
    )


# POST /auth/password-reset. The address is checked (and looked up) by the domain.
class PasswordResetRequest(InputModel):
    email: StrictStr


# POST /auth/password-reset/confirm: the two values from the email, and the new password.
class PasswordResetConfirmRequest(InputModel):
    uid: StrictStr
    token: StrictStr
    new_password: StrictStr


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
    username: StrictStr
    password: StrictStr


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
