"""The shared rate limiter (throttling.limiter) as a Flask decorator.

    @bp.get("/rl-demo/ping")
    @rate_limited(ping_policy)
    def ping(): ...

`rate_limited(policy_for)` spends one unit of the budget `policy_for()`
names, the very budget DRF and FastAPI spend (the framework is not part of
the key). Over the limit, `enforce` raises RateLimited (429 with its own
RateLimit headers and Retry-After); with the cache down it fails open, or
raises ServiceUnavailable (503) when `strict=True` (token and refresh).

The limiter notes its decision for the edge (common/asgi/edge.py), which
writes the RateLimit headers on whatever response follows: 200, 404, 422
and 429 alike.

Where the decorator sits among the others is the check order: DRF checks
permissions before throttles, so `@require_login` goes above
`@rate_limited()` on views that have a permission class, below it (or not
at all) on views that find a missing user inside the view (books).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, g, request

from accounts.tokens import bearer_from_header, token_service
from books.fast_read import ReadPlan, wsgi_url
from common.asgi.metrics import record_user
from common.client_address import client_ip
from throttling.limiter import (
    POLICY_RL_DEMO_LOGIN_SIM,
    POLICY_RL_DEMO_PING,
    Policy,
    default_policy,
    enforce,
    ip_policy,
)

from .auth import authenticates_itself

View = TypeVar("View", bound=Callable[..., Any])
PolicyFor = Callable[[], Policy]


def request_client_ip() -> str:
    """The client IP, as the edge settled it (X-Forwarded-For only from trusted proxies)."""
    return client_ip(peer=request.remote_addr)


def default_policy_for() -> Policy:
    """Per user when authenticated (RATE_LIMIT_USER), else per client IP (RATE_LIMIT_ANON)."""
    user = g.get("user")
    return default_policy(user_id=user.pk if user is not None else None, ip=request_client_ip())


def ping_policy() -> Policy:
    return ip_policy(POLICY_RL_DEMO_PING, ip=request_client_ip())


def login_sim_policy() -> Policy:
    return ip_policy(POLICY_RL_DEMO_LOGIN_SIM, ip=request_client_ip())


def rate_limited(
    policy_for: PolicyFor = default_policy_for, *, strict: bool = False
) -> Callable[[View], View]:
    """Spend one unit of `policy_for()`'s budget before the view runs.

    :raise RateLimited: over the limit (429).
    :raise ServiceUnavailable: the cache is down and `strict` (or fail-closed) (503).
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped_view(**kwargs: Any) -> Any:
            enforce(policy_for(), strict=strict)
            return view(**kwargs)

        return wrapped_view  # type: ignore[return-value]

    return decorator


def cached_read(view: View) -> View:
    """A public GET whose answer is stored: token, rate limit and page in one round trip.

        @bp.get("")
        @cached_read
        def list_books(): ...     # runs only on a MISS; its JSON is stored

    `@rate_limited()` plus `load_user` would cost a database query and a cache
    round trip before the view even looks for its page. This decorator makes
    the same checks in the same order (a bad token 401, then the budget, then
    a login no snapshot vouches for is checked in the database) with one Redis
    round trip (books/fast_read.py). A hit answers the stored bytes; a miss
    runs the view, answers its response and stores the body when it is a 200.
    The view is marked as authenticating itself, so `load_user` leaves it be.
    """

    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> Any:
        # The WSGI environ read directly: what `request.headers` and
        # `request.remote_addr` would answer, without building them.
        environ = request.environ
        token = bearer_from_header(environ.get("HTTP_AUTHORIZATION"))
        claims = token_service.verify_access(token) if token is not None else None
        user_id = int(claims["sub"]) if claims is not None else None
        ip = client_ip(peer=environ.get("REMOTE_ADDR"),
                       forwarded_for=environ.get("HTTP_X_FORWARDED_FOR"))
        plan = ReadPlan.for_request(
            url=wsgi_url(environ), policy=default_policy(user_id=user_id, ip=ip), claims=claims
        )
        outcome = plan.read()
        if claims is not None and not outcome.token_vouched:
            plan.confirm_token(outcome, claims)
        record_user(environ.get("asgi.scope"), user_id)  # for the access log
        if outcome.page is not None:
            return Response(outcome.page.body, mimetype="application/json",
                            headers={"X-Cache": "HIT"})
        response = current_app.make_response(view(**kwargs))
        if response.status_code == 200:
            plan.store(outcome, response.get_data())
        response.headers["X-Cache"] = "MISS"
        return response

    return authenticates_itself(wrapped_view)  # type: ignore[return-value]
