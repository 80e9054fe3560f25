"""Every operation of the contract, declared once: the facts all three OpenAPI documents state.

One `Operation` per method and path, written for API clients: what it does
(summary, description), who may call it (`auth`), what it answers
(`status` on success, `errors`). DRF, FastAPI and Flask each generate their
own document from these facts and their own schemas:

- DRF: drf-spectacular; each view's `extend_schema` is built by
  `drf_support.openapi.documented(operation_id, ...)`, and its security by
  `drf_support.openapi.ContractAutoSchema`;
- FastAPI: natively, each route decorator takes
  `mounted_apis.fastapi_app.docs.contract(operation_id)`'s arguments;
- Flask: spectree, which reads the Pydantic models named here (`body`,
  `answer`: the FastAPI app's models, mounted_apis/fastapi_app/schemas.py).

`common.openapi_contract` turns these facts into OpenAPI pieces (answers,
security, the list query parameters, the token form) and adds, after
generation, the value rules no generator states (from `common.constraints`).
Nothing declared here is overwritten later.

Framework-free on purpose: no Django, no DRF, no Pydantic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from common.openapi_text import BOOKS, HEALTH, PASSWORD_RESET, USERS

# Who may call an operation:
# - "required": a Bearer token is needed (401 without one);
# - "optional": public; a token is read when sent (then a bad one is a 401)
#   and only decides whose rate-limit budget is spent;
# - "none": public; an Authorization header is not read at all.
Auth = Literal["required", "optional", "none"]

# The tags, in the order every document lists them, with what each groups.
TAGS: tuple[tuple[str, str], ...] = (
    ("auth", "Accounts and tokens: register, log in (OAuth2), refresh, log out, password reset."),
    ("users", "User accounts: list (admin), read, change, soft-delete."),
    ("books", "The book catalogue: public reads, authenticated writes."),
    ("demos", "Watch rate limiting and brute-force lockout happen."),
    ("health", "Whether the database and the cache answer."),
)



def document_description(framework: str, prefix: str) -> str:
    """The `info.description` of each document: the same words but for who serves it."""
    return (
        f"The shared contract, served by {framework} at {prefix}.\n\n"
        "Authorize with a username and password (OAuth2 password flow): the access "
        "token is then sent as `Authorization: Bearer ...` on every call. Every error "
        'answers `{"error": {"code", "message", "details"?}}`, except the token '
        "endpoint's RFC 6749 errors."
    )


# The security scheme every document declares (OAuth2 password flow, Bearer).
SECURITY_SCHEME = "OAuth2PasswordBearer"


@dataclass(frozen=True)
class Operation:
    """One operation: the facts every document states alike."""

    method: str  # "GET", "POST", ...
    path: str  # relative to the prefix, ids spelled `{id}`: "/books/{id}"
    operation_id: str
    tag: str
    summary: str
    description: str
    auth: Auth
    status: int  # the success status
    ok: str  # what the success answer means
    errors: tuple[int, ...]  # every error status, in the error envelope
    # Which wording of 404/409/400/503 (common.openapi_text.RESOURCE_ERROR_DESCRIPTIONS).
    resource: str | None = None
    # Names of the Pydantic models (mounted_apis/fastapi_app/schemas.py) of the
    # JSON body and of the success answer; None: no JSON body / no answer body.
    body: str | None = None
    answer: str | None = None
    # False: the JSON body may be left out (no field of it is required).
    body_required: bool = True
    # Error statuses answered in RFC 6749's shape (the token endpoint), and
    # statuses whose body is the `answer` model (health's 503 report).
    oauth_errors: tuple[int, ...] = ()
    answer_errors: tuple[int, ...] = ()
    # The success answer carries X-Cache (HIT or MISS).
    cached: bool = False

    @property
    def public(self) -> bool:
        """Callable without a token (documented with no security, or `{}` among them)."""
        return self.auth != "required"

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


OPERATIONS: tuple[Operation, ...] = (
    # --- auth ---------------------------------------------------------------------------
    Operation(
        "POST", "/auth/register", "register", "auth",
        "Create an account",
        "Creates a user with the role `user`. The username is 3 to 150 letters, digits "
        "(any script) or `@ . + - _`; the password must pass the server's password rules "
        "(length, not too common, not all digits, not too close to the username or email).",
        "none", 201, "Created: the new user.", (400, 409, 413, 422, 429, 503),
        resource=USERS, body="UserRegister", answer="UserEnvelope",
    ),
    Operation(
        "POST", "/auth/token", "token", "auth",
        "Log in: the OAuth2 token endpoint (password and refresh_token grants)",
        "Form-encoded, as RFC 6749 says. `grant_type` may be omitted: it means `password`. "
        "Errors use RFC 6749's shape `{error, error_description}`. After too many failed "
        "logins the username (or your address) is locked out for a while: 429 `locked_out`.",
        "none", 200, "A new access token and refresh token.", (400, 413, 429, 503),
        answer="TokenResponse", oauth_errors=(400, 429, 503),
    ),
    Operation(
        "POST", "/auth/refresh", "refresh", "auth",
        "Exchange a refresh token for new tokens",
        "The JSON twin of the token endpoint's refresh_token grant. The refresh token sent "
        "is used up: a second use is refused and ends that login everywhere.",
        "none", 200, "A new access token and refresh token.", (400, 413, 422, 429, 503),
        body="RefreshRequest", answer="TokenResponse",
    ),
    Operation(
        "POST", "/auth/logout", "logout", "auth",
        "Log out",
        "Revokes the access token sent and, when given, the refresh token's login.",
        "required", 204, "Logged out.", (400, 401, 413, 422, 429, 503),
        body="LogoutRequest", body_required=False,
    ),
    Operation(
        "GET", "/auth/me", "me", "auth",
        "Your own account",
        "The user the access token belongs to.",
        "required", 200, "You.", (401, 429, 503),
        answer="UserEnvelope",
    ),
    Operation(
        "POST", "/auth/password-reset", "password_reset_request", "auth",
        "Ask for a password reset email",
        "Answers 202 whether or not the address belongs to an account; when it does, an "
        "email with a one-time link goes out.",
        "none", 202, "Accepted: an email goes out if the address belongs to an account.",
        (400, 413, 422, 429, 503), resource=PASSWORD_RESET, body="PasswordResetRequest",
    ),
    Operation(
        "POST", "/auth/password-reset/confirm", "password_reset_confirm", "auth",
        "Set a new password with the link from the reset email",
        "`uid` and `token` come from the emailed link. Every earlier token of the account "
        "stops working.",
        "none", 204, "Password changed.", (400, 413, 422, 429, 503),
        resource=PASSWORD_RESET, body="PasswordResetConfirmRequest",
    ),
    # --- users --------------------------------------------------------------------------
    Operation(
        "GET", "/users", "list_users", "users",
        "List users (admins only)",
        "Paginated; filter with `search`, `role` and `is_active`.",
        "required", 200, "One page of users.", (401, 403, 422, 429, 503),
        answer="UsersPage",
    ),
    Operation(
        "GET", "/users/{id}", "get_user", "users",
        "Read a user (yourself, or anyone if you are an admin)",
        "A non-admin asking for any other id gets 403, whether or not that id exists.",
        "required", 200, "The user.", (401, 403, 404, 429, 503),
        resource=USERS, answer="UserEnvelope",
    ),
    Operation(
        "PATCH", "/users/{id}", "update_user", "users",
        "Change a user (yourself: email, password; admins: also role, is_active)",
        "Changing your own password needs `current_password`. A new password ends every "
        "earlier login of that user, yours included: log in again.",
        "required", 200, "The changed user.", (400, 401, 403, 404, 409, 413, 422, 429, 503),
        resource=USERS, body="UserUpdate", body_required=False, answer="UserEnvelope",
    ),
    Operation(
        "DELETE", "/users/{id}", "delete_user", "users",
        "Delete a user (yourself, or anyone if you are an admin)",
        "The account is deactivated and can no longer log in; its books stay.",
        "required", 204, "Deleted.", (401, 403, 404, 429, 503),
        resource=USERS,
    ),
    # --- books --------------------------------------------------------------------------
    Operation(
        "GET", "/books", "list_books", "books",
        "List books",
        "Paginated by page number or, for deep pages, by `cursor`; search, filter and sort "
        "with the query parameters below. `X-Cache` says whether the cache answered.",
        "optional", 200, "One page of books.", (401, 422, 429, 503),
        answer="BooksPage", cached=True,
    ),
    Operation(
        "POST", "/books", "create_book", "books",
        "Add a book",
        "Any logged-in user. The new book's URL is in `Location`.",
        "required", 201, "Created: the new book.", (400, 401, 409, 413, 422, 429, 503),
        resource=BOOKS, body="BookCreate", answer="BookEnvelope",
    ),
    Operation(
        "GET", "/books/{id}", "get_book", "books",
        "Read a book",
        "`X-Cache` says whether the cache answered.",
        "optional", 200, "The book.", (401, 404, 429, 503),
        resource=BOOKS, answer="BookEnvelope", cached=True,
    ),
    Operation(
        "PUT", "/books/{id}", "replace_book", "books",
        "Replace a book (its creator or an admin)",
        "Every field is sent; optional fields left out are reset to their defaults.",
        "required", 200, "The replaced book.", (400, 401, 403, 404, 409, 413, 422, 429, 503),
        resource=BOOKS, body="BookReplace", answer="BookEnvelope",
    ),
    Operation(
        "PATCH", "/books/{id}", "update_book", "books",
        "Change some fields of a book (its creator or an admin)",
        "Only the fields sent change.",
        "required", 200, "The changed book.", (400, 401, 403, 404, 409, 413, 422, 429, 503),
        resource=BOOKS, body="BookUpdate", body_required=False, answer="BookEnvelope",
    ),
    Operation(
        "DELETE", "/books/{id}", "delete_book", "books",
        "Delete a book (admins only)",
        "The book is gone for good.",
        "required", 204, "Deleted.", (401, 403, 404, 429, 503),
        resource=BOOKS,
    ),
    # --- demos --------------------------------------------------------------------------
    Operation(
        "GET", "/rl-demo/ping", "ping", "demos",
        "Rate-limit demo: a relaxed limit",
        "Limited to `RL_DEMO_PING` (default 10 a minute) per client IP, a budget of its "
        "own. Try it: call this 11 times within a minute and watch the `RateLimit` header's "
        "`r` (remaining) count down to 0, then the 429 `rate_limited` with `Retry-After` "
        "(seconds until the window resets, the same as `t`). `RateLimit-Policy` shows the "
        "quota `q` and the window `w`.",
        "optional", 200, "Pong.", (401, 429, 503),
        answer="MessageEnvelope",
    ),
    Operation(
        "POST", "/rl-demo/login-sim", "login_sim", "demos",
        "Rate-limit demo: a strict limit, as a login endpoint would have",
        "Limited to `RL_DEMO_LOGIN_SIM` (default 3 a minute) per client IP. No credentials "
        "are involved: it only shows a login's strict budget. Try it: POST 4 times within "
        "a minute; the fourth answers 429 `rate_limited`.",
        "optional", 200, "Counted.", (401, 429, 503),
        answer="MessageEnvelope",
    ),
    Operation(
        "POST", "/bf-demo/login", "bf_demo_login", "demos",
        "Brute-force demo: a login with lockout",
        "Checks a fixed demo pair (username `demo`, password `correct-horse`; not a real "
        "account) with the token endpoint's lockout rules and its own counters. Try it: "
        "send a wrong password 5 times (`LOGIN_MAX_FAILURES`): 401 each time. The 6th "
        "attempt answers 429 `locked_out` with `Retry-After`, even with the right password, "
        "for `LOGIN_LOCKOUT` seconds, for that username and for your IP. A success clears "
        "the counters. Watch them with `GET /bf-demo/status`.",
        "optional", 200, "The right pair.", (400, 401, 413, 422, 429, 503),
        body="BfDemoLogin", answer="BfDemoLoginEnvelope",
    ),
    Operation(
        "GET", "/bf-demo/status", "bf_demo_status", "demos",
        "Brute-force demo: your counters and lock",
        "Failures counted for your IP (and for `username`, when given) since the last "
        "success, the maximum, and whether a lock is in force and until when.",
        "optional", 200, "The counters.", (401, 429, 503),
        answer="BfDemoStatusEnvelope",
    ),
    # --- health -------------------------------------------------------------------------
    Operation(
        "GET", "/health", "health", "health",
        "Database and cache checks",
        "Readiness, like GET /ready: 200 when both answer within 2 s; 503 names the failing "
        "check (or says `draining` while the process stops). Not rate limited.",
        "none", 200, "Both answer.", (503,),
        resource=HEALTH, answer="HealthReport", answer_errors=(503,),
    ),
)

_BY_KEY = {operation.key: operation for operation in OPERATIONS}
_BY_ID = {operation.operation_id: operation for operation in OPERATIONS}


def operation(method: str, path: str) -> Operation:
    """The declared operation for `method` (any case) and contract `path` (`/books/{id}`)."""
    return _BY_KEY[(method.upper(), path)]


def find(method: str, path: str) -> Operation | None:
    """Like `operation`, or None for a method and path the contract does not have."""
    return _BY_KEY.get((method.upper(), path))


def by_id(operation_id: str) -> Operation:
    return _BY_ID[operation_id]
