"""Dependencies: who is calling, may they, and which rate-limit budget they spend.

    @router.get("/me")
    async def me(user: CurrentUser) -> UserEnvelope: ...

The chain, in the order DRF runs the same checks (authentication,
permissions, throttles, then the view):

    get_access        Authorization: Bearer <token> -> AccessContext | None
                      (a bad token: 401 invalid_token, before anything else)
    RateLimit(...)    spends one unit of the caller's budget; applied per
                      router, so every endpoint under it is limited
    get_current_user  401 not_authenticated when there is no token
    require_admin     403 for a non-admin

FastAPI caches a dependency per request, so the token is checked once even
when several dependencies ask for it.

The OAuth2PasswordBearer scheme is declared for the OpenAPI document only
(Swagger UI's Authorize button, tokenUrl relative to the docs page so it
works under the /api/fastapi root path); the header itself is parsed by
`accounts.tokens.bearer_from_header` and the token checked by
`token_service.authenticate_access` (simplejwt's TokenBackend, then the
login family), the code behind DRF's JWTAuthentication subclass
(accounts.authentication), so a token gets the same answer at every prefix,
and the 401s come from common.errors, not from FastAPI's own HTTPException.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel

from accounts.models import User
from accounts.tokens import AccessContext, bearer_from_header, token_service
from books.fast_read import ReadOutcome, ReadPlan
from common.asgi.metrics import record_user
from common.client_address import client_ip
from common.errors import NotAuthenticated, PermissionDenied
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

# auto_error=False: a missing token is not an error for public endpoints;
# get_current_user raises our own NotAuthenticated when one is required.
oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="auth/token",
    auto_error=False,
    description="Log in with a username and password; the access token is sent as Bearer.",
)


def request_client_ip(request: Request) -> str:
    """The client IP, as the edge settled it (X-Forwarded-For only from trusted proxies)."""
    return client_ip(peer=request.client.host if request.client else None)


async def get_access(
    request: Request,
    _documented: Annotated[str | None, Depends(oauth2_scheme)],
) -> AccessContext | None:
    """The verified access token's context (user + claims), or None without a token.

    :raise InvalidToken: bad signature, expired, revoked, refresh token, ...
    """
    token = bearer_from_header(request.headers.get("authorization"))
    if token is None:
        return None
    # One query (the token's login family with its user): a worker thread.
    access = await run_db(token_service.authenticate_access, token)
    record_user(request.scope, access.user.pk)  # the access log names the user
    return access


Access = Annotated[AccessContext | None, Depends(get_access)]


async def get_optional_user(access: Access) -> User | None:
    return access.user if access is not None else None


async def get_current_user(access: Access) -> User:
    """The authenticated user. :raise NotAuthenticated: no token (401 + WWW-Authenticate)."""
    if access is None:
        raise NotAuthenticated()
    return access.user


async def get_current_access(access: Access) -> AccessContext:
    """Like get_current_user, with the token's claims too (logout needs the family)."""
    if access is None:
        raise NotAuthenticated()
    return access


OptionalUser = Annotated[User | None, Depends(get_optional_user)]
CurrentUser = Annotated[User, Depends(get_current_user)]
CurrentAccess = Annotated[AccessContext, Depends(get_current_access)]


async def require_admin(user: CurrentUser) -> User:
    """The authenticated user, if an admin. :raise PermissionDenied: 403 otherwise."""
    if not user.is_admin:
        raise PermissionDenied()
    return user


# --- Rate limiting ------------------------------------------------------------------------

PolicyFor = Callable[[Request, User | None], Policy]


def default_policy_for(request: Request, user: User | None) -> Policy:
    """Per user when authenticated (RATE_LIMIT_USER), else per client IP (RATE_LIMIT_ANON)."""
    return default_policy(user_id=user.pk if user is not None else None,
                          ip=request_client_ip(request))


def ping_policy_for(request: Request, user: User | None) -> Policy:
    return ip_policy(POLICY_RL_DEMO_PING, ip=request_client_ip(request))


def login_sim_policy_for(request: Request, user: User | None) -> Policy:
    return ip_policy(POLICY_RL_DEMO_LOGIN_SIM, ip=request_client_ip(request))


class RateLimit:
    """A dependency that spends one unit of a budget, the same budget DRF spends.

        router = APIRouter(dependencies=[Depends(default_rate_limit)])

    The budget is chosen by `policy_for(request, user)`; the counting is
    `throttling.limiter.acheck_rate` (one Redis round trip on the event loop).
    Over the limit it raises RateLimited (429); either way the limiter notes
    its decision for the edge, which writes the RateLimit headers.
    `strict=True` (token and refresh endpoints): 503 when the cache is down
    instead of failing open.
    """

    def __init__(self, policy_for: PolicyFor, *, strict: bool = False) -> None:
        self.policy_for = policy_for
        self.strict = strict

    async def __call__(self, request: Request, user: OptionalUser) -> RateLimitDecision | None:
        return await self._spend(request, user)

    async def _spend(self, request: Request, user: User | None) -> RateLimitDecision | None:
        policy = self.policy_for(request, user)
        decision = await acheck_rate(
            policy=policy.name,
            identity=policy.identity,
            rate=policy.rate,
            strict=self.strict,
        )
        return decision


class UnauthenticatedRateLimit(RateLimit):
    """A RateLimit for endpoints that ignore the Authorization header.

    The token and refresh endpoints authenticate nobody (DRF's
    `authentication_classes = []`): a stale Bearer header sent along must
    not turn a login into a 401. They are counted per client IP.
    """

    async def __call__(self, request: Request) -> RateLimitDecision | None:  # type: ignore[override]
        return await self._spend(request, None)


default_rate_limit = RateLimit(default_policy_for)
strict_anonymous_rate_limit = UnauthenticatedRateLimit(default_policy_for, strict=True)
# Registration authenticates nobody either (DRF: authentication_classes = []).
anonymous_rate_limit = UnauthenticatedRateLimit(default_policy_for)
ping_rate_limit = RateLimit(ping_policy_for)
login_sim_rate_limit = RateLimit(login_sim_policy_for)


# Access rules as dependency lists, for `dependencies=` on a route. DRF checks
# permission classes before throttles, so where a view has them (IsAuthenticated,
# IsAdminRole), a 401/403 is answered before any budget is spent.
AUTHENTICATED_THEN_LIMITED = [Depends(get_current_user), Depends(default_rate_limit)]
ADMIN_THEN_LIMITED = [Depends(require_admin), Depends(default_rate_limit)]


# --- The cached public read (GET /books, GET /books/{id}) ---------------------------------


class CachedRead:
    """One request's cached read: the rate limit, the token and the page, fetched together.

        async def list_books(read: CachedBooksRead) -> Response:
            if read.hit:
                return read.response()
            ...render body...
            await read.store(body)

    The plain chain above (get_access, then RateLimit) costs a database query
    and a cache round trip before the endpoint even looks for its page. Here
    one dependency does the same checks in the same order with one Redis
    round trip (books/fast_read.py): a bad token is a 401 before anything
    is counted; the budget is the same one RateLimit spends; a token whose
    login no snapshot vouches for is checked in the database, exactly as
    get_access would.
    """

    def __init__(self, plan: ReadPlan, outcome: ReadOutcome) -> None:
        self.plan = plan
        self.outcome = outcome

    @property
    def hit(self) -> bool:
        return self.outcome.hit

    def response(self) -> Response:
        """The stored body as it is: no model, no encoder."""
        assert self.outcome.page is not None
        return Response(self.outcome.page.body, media_type="application/json",
                        headers={"X-Cache": "HIT"})

    async def miss(self, content: BaseModel) -> Response:
        """Render `content` as FastAPI would, keep the bytes, answer with them."""
        response = JSONResponse(content.model_dump(mode="json"), headers={"X-Cache": "MISS"})
        await self.plan.astore(self.outcome, bytes(response.body))
        return response


async def cached_read(request: Request) -> CachedRead:
    """:raise InvalidToken: 401. :raise RateLimited: 429. (Same order as get_access + RateLimit.)

    Unlike get_access, it takes no `Depends(oauth2_scheme)`: that dependency
    only documents the Bearer scheme, yet FastAPI resolves it on every
    request, a share of a cached hit's time. The routes that use this
    dependency take their security from the declaration instead
    (`docs.contract(..., bearer_dependency=False)`).
    """
    scope = request.scope
    host, authorization, forwarded_for = _read_headers(scope["headers"])
    token = bearer_from_header(authorization)
    claims = token_service.verify_access(token) if token is not None else None
    user_id = int(claims["sub"]) if claims is not None else None
    peer = scope["client"][0] if scope.get("client") else None
    policy = default_policy(user_id=user_id,
                            ip=client_ip(peer=peer, forwarded_for=forwarded_for))
    query = scope.get("query_string", b"").decode("latin-1")
    # The cache key's URL (books.fast_read): as sent, not normalised.
    url = f"{scope['scheme']}://{host}{scope['path']}?{query}"
    plan = ReadPlan.for_request(url=url, policy=policy, claims=claims)
    outcome = await plan.aread()
    if claims is not None and not outcome.token_vouched:
        await run_db(plan.confirm_token, outcome, claims)
    record_user(scope, user_id)  # the access log names the user
    return CachedRead(plan, outcome)


def _read_headers(headers: list[tuple[bytes, bytes]]) -> tuple[str, str | None, str | None]:
    """Host, Authorization and X-Forwarded-For, in one pass over the raw ASGI headers.

    What `request.headers` would answer (the first Host and Authorization,
    every X-Forwarded-For joined by commas), without building it.
    """
    host: str | None = None
    authorization: str | None = None
    forwarded: list[str] = []
    for name, value in headers:
        if name == b"host" and host is None:
            host = value.decode("latin-1")
        elif name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif name == b"x-forwarded-for":
            forwarded.append(value.decode("latin-1"))
    return host or "", authorization, ",".join(forwarded) if forwarded else None


CachedBooksRead = Annotated[CachedRead, Depends(cached_read)]
