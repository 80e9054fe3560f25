"""The shared rate limiter (throttling.limiter) as a Flask decorator.

    @bp.post("")
    @login_required           # 401 first: a refusal spends no budget
    @rate_limited()           # then one unit of the caller's budget
    def create_book(): ...

`rate_limited(policy_for)` spends one unit of the budget `policy_for()`
names, the very budget DRF and FastAPI spend (the framework is not part of
the key). Over the limit, `enforce` raises RateLimited (429, Retry-After);
with the cache down it fails open, or raises ServiceUnavailable (503) when
`strict=True` (token, refresh, password reset).

The limiter returns its decision; `rate_limited` writes it as the
`RateLimit` and `RateLimit-Policy` headers on whatever answer follows (200,
404, 422 alike) with `after_this_request`. A refusal (429) raises
RateLimited carrying the decision; the error handler (errors.py) writes it.
Both also record it in the ASGI scope for the edge (common/asgi/edge.py),
which owns these two names and writes the recorded decision over a
framework's (the same values).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, after_this_request, g, request

from common.asgi.notes import record_rate_limit
from common.client_address import client_ip
from throttling.limiter import (
    POLICY_RL_DEMO_LOGIN_SIM,
    POLICY_RL_DEMO_PING,
    Policy,
    RateLimitDecision,
    default_policy,
    enforce,
    ip_policy,
)

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
            decision = enforce(policy_for(), strict=strict)
            if decision is not None:  # None: the cache is down and limits fail open
                record_rate_limit(request.environ.get("asgi.scope"), decision)
                after_this_request(functools.partial(write_headers, decision))
            return view(**kwargs)

        return wrapped_view  # type: ignore[return-value]

    return decorator


def write_headers(decision: RateLimitDecision, response: Response) -> Response:
    """The decision as the IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers)."""
    response.headers.update(decision.headers())
    return response
