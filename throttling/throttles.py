"""DRF's side of the limiter: throttle classes on top of `throttling.limiter`.

In the style of DRF's SimpleRateThrottle, with one extension point: a
subclass overrides `get_policy(request, view)` to say which budget a request
spends (policy name, identity, rate). The base counts it with `enforce`,
which is exact under concurrency where SimpleRateThrottle's
read-modify-write is not (measured: see the README, "Rate limiting").

    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["throttling.throttles.DefaultRateThrottle"]

    class PingApi(APIView):
        throttle_classes = [RlDemoPingThrottle]   # replaces the default policy

Refusals raise `common.errors.RateLimited` directly (not DRF's Throttled),
so the body comes from the one shared error set; the RateLimit headers are
written by the edge (common/asgi/edge.py) from the limiter's decision,
whatever the response turns out to be.

Note DRF's order in `APIView.initial`: authentication, permissions, then
throttles. A 401 or 403 is answered before any budget is spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from books.fast_read import ReadOutcome, ReadPlan, wsgi_url
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


def request_client_ip(request: Request) -> str:
    """The client IP of a DRF (or Django) request, as the edge settled it (REMOTE_ADDR)."""
    return client_ip(peer=request.META.get("REMOTE_ADDR"))


def request_user_id(request: Request) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


class RateLimitThrottle(BaseThrottle):
    """A throttle that only requires `.get_policy()` to be overridden."""

    # True for endpoints whose protection must hold even when the cache is
    # down (the token and refresh endpoints): 503 instead of failing open.
    strict: ClassVar[bool] = False
    # The counting function, a class attribute so tests can swap it.
    limiter = staticmethod(enforce)

    def get_policy(self, request: Request, view: Any) -> Policy | None:
        """Which budget this request spends; None to leave it unlimited."""
        raise NotImplementedError(".get_policy() must be overridden")

    def allow_request(self, request: Request, view: Any) -> bool:
        policy = self.get_policy(request, view)
        if policy is None:
            return True
        # Raises RateLimited (429) or, with the cache down, maybe ServiceUnavailable.
        # The limiter notes its decision for the edge, which writes the headers.
        self.limiter(policy, strict=self.strict)
        return True

    def wait(self) -> float | None:
        return None  # never reached: refusals raise RateLimited with their own Retry-After


class DefaultRateThrottle(RateLimitThrottle):
    """Every endpoint's policy: per user (RATE_LIMIT_USER) or per IP (RATE_LIMIT_ANON)."""

    def get_policy(self, request: Request, view: Any) -> Policy:
        return default_policy(user_id=request_user_id(request), ip=request_client_ip(request))


class StrictDefaultRateThrottle(DefaultRateThrottle):
    """The default policy, but 503 when the cache is down (token and refresh endpoints)."""

    strict = True


class RlDemoPingThrottle(RateLimitThrottle):
    """GET /rl-demo/ping: RL_DEMO_PING per client IP."""

    def get_policy(self, request: Request, view: Any) -> Policy:
        return ip_policy(POLICY_RL_DEMO_PING, ip=request_client_ip(request))


class RlDemoLoginSimThrottle(RateLimitThrottle):
    """POST /rl-demo/login-sim: RL_DEMO_LOGIN_SIM per client IP."""

    def get_policy(self, request: Request, view: Any) -> Policy:
        return ip_policy(POLICY_RL_DEMO_LOGIN_SIM, ip=request_client_ip(request))


# --- The cached reads --------------------------------------------------------------------


@dataclass(frozen=True)
class CachedRead:
    """What CachedReadThrottle found, left on the request for the view (`request.cached_read`)."""

    plan: ReadPlan
    outcome: ReadOutcome

    @property
    def page(self) -> bytes | None:
        """The stored JSON body, if it is current (a HIT)."""
        return self.outcome.page.body if self.outcome.page is not None else None

    def store(self, body: bytes) -> None:
        """Keep a freshly rendered body, tagged with the version read before it was computed."""
        self.plan.store(self.outcome, body)


class CachedReadThrottle(DefaultRateThrottle):
    """The default policy, counted in the round trip that also fetches the cached page.

    One Redis round trip (books/fast_read.py, a MULTI/EXEC transaction)
    counts the request, reads the books version and the stored page for this
    URL, and, for a Bearer token, the login's snapshot. The page is left on
    the request as `request.cached_read` for the view (BookViewSet.list /
    retrieve), which answers with it or computes and stores a new one.

    It also finishes SnapshotBearerAuthentication's work: a token whose
    login no snapshot vouches for is checked against the database (one
    query), and a revoked one answers 401, giving back the unit just counted.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        claims = request.auth if isinstance(request.auth, dict) else None
        plan = ReadPlan.for_request(
            url=wsgi_url(request.META), policy=self.get_policy(request, view), claims=claims
        )
        # Raises RateLimited (429) or, with the cache down, maybe 503. The
        # limiter notes its decision for the edge, which writes the headers.
        outcome = plan.read()
        if claims is not None:
            if not outcome.token_vouched:
                plan.confirm_token(outcome, claims)  # raises InvalidToken (401)
            record_user(request.META.get("asgi.scope"), request_user_id(request))
        # An attribute of our own on DRF's Request (read back by books/views.py);
        # the stubs declare none.
        request.cached_read = CachedRead(plan, outcome)  # type: ignore[attr-defined]
        return True
