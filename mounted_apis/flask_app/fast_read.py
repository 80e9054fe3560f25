"""Speed: the cached public read in one cache round trip. The idiom is in auth.py and ratelimit.py.

    @bp.get("")
    @cached_read              # a HIT answers here; a MISS runs the view and stores its body
    @documented(...)          # below: spectree's wrapper costs a HIT nothing
    def list_books(): ...

What a Flask user would write for a cached, rate-limited public read:

    @bp.get("")
    @rate_limited()           # g.user from load_logged_in_user: 1 database query
    @cache.cached(...)        # version get + page get: 2 more round trips
    def list_books(): ...

That costs a database query for the token and three or four cache round
trips per request. `cached_read` makes the same checks in the same order
(a bad token 401, then the budget, then a login no snapshot vouches for is
checked in the database) with one round trip: books/fast_read.py batches
the limiter's count, the books version, the stored page and the token's
snapshot into one Redis transaction. A HIT answers the stored bytes as they
are; a MISS runs the view and stores its body when it is a 200. The view is
marked `@public`, so `load_logged_in_user` leaves its token to this
decorator (it reads it from the WSGI environ, without building werkzeug's
header objects).

What it buys is measured in mounted_apis/flask_app/README.md ("Speed, kept
apart"), by benchmarks/flask_cached_read.py and `manage.py bench`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, after_this_request, current_app, request

from accounts.tokens import bearer_from_header, token_service
from books.fast_read import ReadPlan, wsgi_url
from common.asgi.metrics import record_user
from common.asgi.notes import record_rate_limit
from common.client_address import client_ip
from throttling.limiter import default_policy

from .auth import public
from .ratelimit import write_headers

View = TypeVar("View", bound=Callable[..., Any])


def cached_read(view: View) -> View:
    """A public GET whose answer is stored: token, rate limit and page in one round trip.

    :raise InvalidToken: a token was sent and is bad, expired or revoked (401).
    :raise RateLimited: over the budget (429).
    """

    @functools.wraps(view)
    def wrapped_view(**kwargs: Any) -> Any:
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
        if outcome.decision is not None:  # on whatever answer follows, a 404 included
            record_rate_limit(environ.get("asgi.scope"), outcome.decision)  # for the edge
            after_this_request(functools.partial(write_headers, outcome.decision))
        if claims is not None and not outcome.token_vouched:
            plan.confirm_token(outcome, claims)
        record_user(environ.get("asgi.scope"), user_id)  # for the access log
        if outcome.page is not None:
            response = Response(outcome.page.body, mimetype="application/json",
                                headers={"X-Cache": "HIT"})
        else:
            response = current_app.make_response(view(**kwargs))
            if response.status_code == 200:
                plan.store(outcome, response.get_data())
            response.headers["X-Cache"] = "MISS"
        return response

    return public(wrapped_view)  # type: ignore[return-value]
