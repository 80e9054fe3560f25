"""What the frameworks tell the edge about a request, while they answer it.

The edge (common/asgi/edge.py) opens one `RequestNotes` per request and
reads it back once the response starts and ends:

- `template`: the route template that matched (`/api/drf/books/{id}`), for the
  metrics labels and the access line; None when no route matched;
- `user_id`: whom the request authenticated as, for the access line;
- `rate_limit`: the limiter's decision, from which the edge writes the
  `RateLimit` and `RateLimit-Policy` headers (the only place that does).

`record_route(scope, ...)`, `record_user(scope, ...)` and
`record_rate_limit(scope, decision)` are called by the framework adapters,
which hold the request, hence the ASGI scope (`request.scope` in FastAPI,
`environ["asgi.scope"]` behind a2wsgi). The limiter itself knows no request:
it returns its decision, or raises RateLimited carrying it, to the adapter.

`current_notes` is a context variable the edge sets for the request, read
only to tell "inside a request" from "outside" (common/sql_log.py).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol

from common.asgi.types import Scope


class RateLimitDecision(Protocol):
    """What the edge needs of the limiter's decision (throttling.limiter's has it)."""

    def headers(self) -> dict[str, str]:
        """The `RateLimit` and `RateLimit-Policy` header values."""
        ...

# The key under which the edge leaves the notes in the scope.
NOTES_SCOPE_KEY = "edge.notes"


class RequestNotes:
    """One request's notes (see the module docstring)."""

    __slots__ = ("template", "user_id", "rate_limit")

    def __init__(self) -> None:
        self.template: str | None = None
        self.user_id: int | None = None
        self.rate_limit: RateLimitDecision | None = None


current_notes: ContextVar[RequestNotes | None] = ContextVar("request_notes", default=None)


def _notes(scope: Scope | None) -> RequestNotes | None:
    notes = scope.get(NOTES_SCOPE_KEY) if scope is not None else None
    return notes if isinstance(notes, RequestNotes) else None


def record_route(scope: Scope | None, template: str) -> None:
    """Called by a framework adapter once it knows which route matched."""
    notes = _notes(scope)
    if notes is not None:
        notes.template = template


def record_user(scope: Scope | None, user_id: int | None) -> None:
    """Called where a framework authenticates a user: the access line names them."""
    notes = _notes(scope)
    if notes is not None and user_id is not None:
        notes.user_id = user_id


def record_rate_limit(scope: Scope | None, decision: RateLimitDecision | None) -> None:
    """Called by a framework adapter with the decision the limiter returned (or refused with)."""
    notes = _notes(scope)
    if notes is not None and decision is not None:
        notes.rate_limit = decision

