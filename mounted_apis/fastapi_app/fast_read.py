"""The speed path: a cached public read in one Redis round trip, answered before FastAPI's work.

    reads = APIRouter(prefix="/books", route_class=CachedReadRoute)

    @reads.get("/{book_id:int}", response_model=BookEnvelope)
    async def get_book(book_id: PathId, read: CachedBooksRead) -> Response:
        ...                                              # runs on a MISS only
        return await read.miss(BookEnvelope(data=...))   # rendered, stored, answered

What the idiomatic chain costs on every `GET /books`, before the endpoint
even looks for its page:

    get_access       the token's login family   1 database query (a worker thread)
    rate_limit       the budget                 1 Redis call
    BookQueryParams  the query model            FastAPI builds and validates it
    the page         version + stored body      1 Redis call (or 2), then a response model

`CachedReadRoute` (FastAPI's "custom APIRoute class" extension point, here
for speed) does the same checks, in the same order, in one round trip on the
event loop (`books/fast_read.py`: count the budget, read the version, the
stored page and the token's snapshot together), and answers a HIT with the
stored bytes before FastAPI solves any dependency: no query model, no
response model. A bad token is a 401 before anything is counted; the budget
is the one `rate_limit` spends; a token no snapshot vouches for is checked
in the database, exactly as `get_access` would. Only a MISS reaches the
endpoint, whose parameters FastAPI then validates as usual (a page is only
ever stored for a request that passed them, so a HIT skips nothing a client
could get wrong). `CachedBooksRead` hands the endpoint the read, to store
what it renders.

This module is the only place that does so; the guide (README.md, "The speed
module") shows the idiomatic line beside it and the measured difference.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from accounts.tokens import token_service
from books.fast_read import ReadOutcome, ReadPlan
from common.asgi.metrics import record_user
from common.asgi.notes import record_rate_limit
from common.errors import RateLimited
from throttling.limiter import default_policy

from .db import run_db
from .deps import oauth2_scheme, request_client_ip
from .json_request import ContractRoute


class CachedRead:
    """One request's cached read: the page found (a HIT), or how to store one (a MISS)."""


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
    """:raise InvalidToken: 401. :raise RateLimited: 429. (In get_access + rate_limit's order.)"""
    token = await oauth2_scheme(request)
    claims = token_service.verify_access(token) if token is not None else None
    user_id = int(claims["sub"]) if claims is not None else None
    policy = default_policy(user_id=user_id, ip=request_client_ip(request))
    # The cache key's URL (books.fast_read): the request's own, not normalised.
    plan = ReadPlan.for_request(url=str(request.url), policy=policy, claims=claims)
    try:
        outcome = await plan.aread()
    except RateLimited as refused:
        record_rate_limit(request.scope, refused.decision)
        raise
    record_rate_limit(request.scope, outcome.decision)
    if claims is not None and not outcome.token_vouched:
        await run_db(plan.confirm_token, outcome, claims)
    record_user(request.scope, user_id)  # the access log names the user
    return CachedRead(plan, outcome)


# Where CachedReadRoute leaves a MISS's read for the endpoint's dependency.
_READ_SCOPE_KEY = "fastapi_app.cached_read"


class CachedReadRoute(ContractRoute):
    """A route that answers a cache HIT itself, and hands a MISS to FastAPI."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            read = await cached_read(request)
            if read.hit:
                return read.response()
            request.scope[_READ_SCOPE_KEY] = read
            return await handler(request)

        return route_handler


async def get_cached_read(
    request: Request,
    # The Bearer token was read by the route; declared here for the document
    # (the token is optional: `openapi_extra={"security": [{}]}` on the route).
    _token: Annotated[str | None, Depends(oauth2_scheme)],
) -> CachedRead:
    read = request.scope.get(_READ_SCOPE_KEY)
    if not isinstance(read, CachedRead):
        raise RuntimeError("CachedBooksRead needs a route of class CachedReadRoute")
    return read


CachedBooksRead = Annotated[CachedRead, Depends(get_cached_read)]
