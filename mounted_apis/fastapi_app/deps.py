"""Dependencies: who is calling, may they, and which rate-limit budget they spend.

    @router.get("/me", dependencies=[Depends(get_current_user), Depends(rate_limit)])
    async def me(user: CurrentUser) -> UserEnvelope: ...

    get_access        the OAuth2 bearer token -> AccessContext | None
                      (a bad token: 401 invalid_token)
    CurrentUser       the user; 401 not_authenticated without a token
    AdminUser         the user, if an admin; 403 otherwise
    TargetUser        the user at {user_id}: yourself, or anyone if you are an admin (403)
    EditableBook      the book at {book_id} (404), if the user may change it (403)
    rate_limit        spends one unit of the caller's budget (429 past it)
    BookQueryParams   GET /books's query parameters (BookQuery), each given once

FastAPI resolves a route's `dependencies=[...]` in the order listed, before
the parameters of the function, and caches each dependency per request: a
route lists its access checks first and `rate_limit` last, so a 401 or a 403
never spends budget, and the token is checked once however many
dependencies ask for it.

The domain decides: `accounts.tokens.token_service` checks the token (the
code behind DRF's authentication class), `books.services.can_update` and
`can_delete` say who may change a book, `throttling.limiter` counts. The
errors are `common.errors`' (one set for the three frameworks), mapped to
the envelope by errors.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from accounts.models import User
from accounts.selectors import user_get_for
from accounts.tokens import AccessContext, token_service
from books.models import Book
from books.selectors import book_get
from books.services import can_delete, can_update
from common.asgi.metrics import record_user
from common.asgi.notes import record_rate_limit
from common.client_address import client_ip
from common.errors import (
    ApplicationError,
    FieldError,
    NotAuthenticated,
    NotFound,
    OAuthError,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from common.query import MSG_REPEATED
from throttling.limiter import (
    POLICY_RL_DEMO_LOGIN_SIM,
    POLICY_RL_DEMO_PING,
    Policy,
    RateLimitDecision,
    acheck_rate,
    default_policy,
    ip_policy,
)

from .db import run_db
from .schemas import BookQuery, UserQuery

# auto_error=False: public endpoints read a token when there is one;
# get_current_user answers 401 (in the envelope) when one is required.
# tokenUrl is relative to the docs page, so it works under /api/fastapi.
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="auth/token",
    auto_error=False,
    description="Log in with a username and password; the access token is sent as Bearer.",
)


def request_client_ip(request: Request) -> str:
    """The client IP, as the edge settled it (X-Forwarded-For only from trusted proxies)."""
    return client_ip(peer=request.client.host if request.client else None)


ClientIP = Annotated[str, Depends(request_client_ip)]


async def get_access(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> AccessContext | None:
    """The verified access token's context (user + claims), or None without a token.

    :raise InvalidToken: bad signature, expired, revoked, a refresh token, "Bearer" alone.
    """
    if token is None:
        return None
    access = await run_db(token_service.authenticate_access, token)  # one query
    record_user(request.scope, access.user.pk)  # the access log names the user
    return access


Access = Annotated[AccessContext | None, Depends(get_access)]


async def get_optional_user(access: Access) -> User | None:
    return access.user if access is not None else None


async def get_current_access(access: Access) -> AccessContext:
    """The token's context. :raise NotAuthenticated: no token (401 + WWW-Authenticate)."""
    if access is None:
        raise NotAuthenticated()
    return access


CurrentAccess = Annotated[AccessContext, Depends(get_current_access)]


async def get_current_user(access: CurrentAccess) -> User:
    return access.user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]


async def require_admin(user: CurrentUser) -> User:
    """The authenticated user, if an admin. :raise PermissionDenied: 403 otherwise."""
    if not user.is_admin:
        raise PermissionDenied()
    return user


AdminUser = Annotated[User, Depends(require_admin)]

# A path id: a positive integer. `/books/0` or an id past BIGINT is simply not found.
PathId = Annotated[int, Path(ge=1)]


async def get_target_user(user_id: PathId, user: CurrentUser) -> User:
    """The user at {user_id}, as `user` may see it (accounts.selectors.user_get_for).

    :raise PermissionDenied: a non-admin asking for someone else (existing or not).
    :raise NotFound: an admin asking for an id nobody has.
    """
    return await run_db(user_get_for, actor=user, user_id=user_id)


TargetUser = Annotated[User, Depends(get_target_user)]


async def get_book(book_id: PathId) -> Book:
    """:raise NotFound: no book with that id."""
    book = await run_db(book_get, book_id=book_id)
    if book is None:
        raise NotFound()
    return book


FoundBook = Annotated[Book, Depends(get_book)]


# `user` before `book`: FastAPI solves a dependency's parameters in order, so
# a caller without a token hears 401 before anyone looks for the book.
async def get_editable_book(user: CurrentUser, book: FoundBook) -> Book:
    """The book, if `user` is its creator or an admin. :raise PermissionDenied: 403."""
    if not can_update(user, book):
        raise PermissionDenied()
    return book


async def get_deletable_book(user: CurrentUser, book: FoundBook) -> Book:
    """The book, if `user` may delete it (admins). :raise PermissionDenied: 403."""
    if not can_delete(user):
        raise PermissionDenied()
    return book


EditableBook = Annotated[Book, Depends(get_editable_book)]
DeletableBook = Annotated[Book, Depends(get_deletable_book)]


# --- Query parameters ----------------------------------------------------------------------


def _refuse_repeated(request: Request, names: Iterable[str]) -> None:
    """`?page=1&page=2` is not one integer: 422 naming each repeated parameter.

    Starlette's QueryParams keeps every value; a query model reads the last.
    """
    repeated = [name for name in names if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise ValidationFailed([FieldError(name, MSG_REPEATED) for name in repeated])


async def get_book_query(request: Request, query: Annotated[BookQuery, Query()]) -> BookQuery:
    _refuse_repeated(request, BookQuery.model_fields)
    return query


async def get_user_query(request: Request, query: Annotated[UserQuery, Query()]) -> UserQuery:
    _refuse_repeated(request, UserQuery.model_fields)
    return query


BookQueryParams = Annotated[BookQuery, Depends(get_book_query)]
UserQueryParams = Annotated[UserQuery, Depends(get_user_query)]


# --- Rate limiting ------------------------------------------------------------------------

PolicyFor = Callable[[str, User | None], Policy]


def default_policy_for(ip: str, user: User | None) -> Policy:
    """Per user when authenticated (RATE_LIMIT_USER), else per client IP (RATE_LIMIT_ANON)."""
    return default_policy(user_id=user.pk if user is not None else None, ip=ip)


class RateLimit:
    """A dependency that spends one unit of a budget (`throttling.limiter`, one Redis call).

        @router.get("/rl-demo/ping", dependencies=[Depends(ping_rate_limit)])

    The budget is `policy_for(client_ip, user)`. The limiter's decision goes
    into the request's scope, from which the edge writes the `RateLimit`
    headers (on a 429 too). `strict=True` (token and refresh endpoints): 503
    when the cache is down, instead of failing open.
    """

    def __init__(self, policy_for: PolicyFor, *, strict: bool = False) -> None:
        self.policy_for = policy_for
        self.strict = strict

    async def __call__(
        self, request: Request, ip: ClientIP, user: OptionalUser
    ) -> RateLimitDecision | None:
        return await self.spend(request, ip, user)

    async def spend(self, request: Request, ip: str, user: User | None) -> RateLimitDecision | None:
        policy = self.policy_for(ip, user)
        try:
            decision = await acheck_rate(policy=policy.name, identity=policy.identity,
                                         rate=policy.rate, strict=self.strict)
        except RateLimited as refused:
            record_rate_limit(request.scope, refused.decision)
            raise
        record_rate_limit(request.scope, decision)
        return decision

    async def count_refused_request(self, request: Request) -> None:
        """Spend the budget of a request FastAPI refused before any dependency ran.

        FastAPI decodes the body first: a malformed one is answered (400)
        without calling `__call__`. The contract counts it like any other
        answer of a limited endpoint, for the caller the token names (or the
        client IP when there is none, or it does not hold).

        :raise RateLimited: past the budget (the 429 then answers instead).
        """
        user = None
        token = await oauth2_scheme(request)
        if token is not None:
            try:
                user = (await run_db(token_service.authenticate_access, token)).user
            except ApplicationError:
                user = None
        await self.spend(request, request_client_ip(request), user)


class AnonymousRateLimit(RateLimit):
    """A RateLimit for endpoints that authenticate nobody (register, token, refresh, reset).

    A stale Bearer header sent along must not turn a login into a 401: these
    count per client IP and never look at the token.
    """

    async def __call__(  # type: ignore[override]
        self, request: Request, ip: ClientIP
    ) -> RateLimitDecision | None:
        return await self.spend(request, ip, None)

    async def count_refused_request(self, request: Request) -> None:
        await self.spend(request, request_client_ip(request), None)


class OAuthRateLimit(AnonymousRateLimit):
    """The token endpoint's limit: its refusals in RFC 6749's shape, not the envelope.

    API.md: every error of the token endpoint is `{"error", "error_description"}`,
    the limiter's 429 and 503 included, so an OAuth2 client library reads them.
    """

    async def __call__(  # type: ignore[override]
        self, request: Request, ip: ClientIP
    ) -> RateLimitDecision | None:
        try:
            return await self.spend(request, ip, None)
        except ApplicationError as exc:
            raise OAuthError.from_application_error(exc) from None


def _ping_policy(ip: str, user: User | None) -> Policy:
    return ip_policy(POLICY_RL_DEMO_PING, ip=ip)


def _login_sim_policy(ip: str, user: User | None) -> Policy:
    return ip_policy(POLICY_RL_DEMO_LOGIN_SIM, ip=ip)


# Every endpoint's budget, per user or per IP. List it after the access checks.
rate_limit = RateLimit(default_policy_for)
# Register and password reset: per IP, the token ignored.
anonymous_rate_limit = AnonymousRateLimit(default_policy_for)
# Refresh and password reset confirm: per IP, and 503 rather than unprotected.
strict_anonymous_rate_limit = AnonymousRateLimit(default_policy_for, strict=True)
token_rate_limit = OAuthRateLimit(default_policy_for, strict=True)
ping_rate_limit = RateLimit(_ping_policy)
login_sim_rate_limit = RateLimit(_login_sim_policy)
