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
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    StrictStr,
)

from common.rendering import drf_datetime

ApiDateTime = Annotated[datetime, PlainSerializer(drf_datetime, return_type=str)]


class InputModel(BaseModel):
    """Base of request bodies: unknown keys are ignored, as DRF ignores them."""

    model_config = ConfigDict(extra="ignore")


class OutputModel(BaseModel):
    """Base of responses: read from Django model instances by attribute."""

    model_config = ConfigDict(from_attributes=True)


# --- Errors (documentation of the envelope every error answers with) -----------------


class ErrorDetail(BaseModel):
    field: str = Field(description="The body field or query parameter at fault.")
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="validation_error, not_found, conflict, ...")
    message: str = Field(description="Human readable.")
    details: list[ErrorDetail] | None = Field(
        default=None, description="Present for validation_error only."
    )


class ErrorEnvelope(BaseModel):
    """Every error of every endpoint (except the OAuth2 token endpoint)."""

    error: ErrorBody


class OAuthErrorBody(BaseModel):
    """RFC 6749 §5.2: the token endpoint's own error shape."""

    error: str = Field(description="invalid_request, invalid_grant, unsupported_grant_type, ...")
    error_description: str


# --- Pagination ---------------------------------------------------------------------------


class PageMeta(BaseModel):
    page: int
    page_size: int
    total: int
    pages: int


class PageLinks(BaseModel):
    self: str
    next: str | None
    prev: str | None


# --- Books -------------------------------------------------------------------------------


class BookCreate(InputModel):
    """POST /books. title, author, year required; isbn and description optional."""

    title: StrictStr
    author: StrictStr
    year: StrictInt
    isbn: StrictStr | None = Field(default=None, description="ISBN-10 or ISBN-13, hyphens ok.")
    description: StrictStr | None = None


class BookReplace(BookCreate):
    """PUT /books/{id}: the whole book; optional fields left out go back to defaults."""


class BookUpdate(InputModel):
    """PATCH /books/{id}: any subset of the fields.

    title/author/year may be left out but not sent as null: a `None` default
    is never validated, an explicit null is ("This field may not be null.").
    Only the keys the client sent are passed on (`model_dump(exclude_unset=True)`).
    """

    title: StrictStr = None  # type: ignore[assignment]
    author: StrictStr = None  # type: ignore[assignment]
    year: StrictInt = None  # type: ignore[assignment]
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


class UserRegister(InputModel):
    """POST /auth/register. Values (length, charset, email, password strength): the domain."""

    username: StrictStr
    email: StrictStr
    password: StrictStr


class UserUpdate(InputModel):
    """PATCH /users/{id}. Self: email, password + current_password; admin: role, is_active."""

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


class PasswordResetRequest(InputModel):
    """POST /auth/password-reset. The address is checked (and looked up) by the domain."""

    email: StrictStr


class PasswordResetConfirmRequest(InputModel):
    """POST /auth/password-reset/confirm: the two values from the email, and the new password."""

    uid: StrictStr
    token: StrictStr
    new_password: StrictStr


class TokenResponse(BaseModel):
    """RFC 6749 §5.1."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


# --- Demos and health ---------------------------------------------------------------------


class Message(BaseModel):
    message: str


class MessageEnvelope(BaseModel):
    data: Message


class BfDemoLogin(InputModel):
    """Presence and JSON type only; an empty value is just a wrong credential."""

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
