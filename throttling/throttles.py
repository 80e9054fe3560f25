"""DRF throttle classes on the shared limiter (`throttling.limiter`): they count, nothing else.

In the style of DRF's SimpleRateThrottle, with one extension point: a
subclass overrides `get_policy(request, view)` to say which budget a request
spends (policy name, identity, rate). The base counts it with the limiter's
`enforce`, which is exact under concurrency where SimpleRateThrottle's
read-modify-write is not (docs/measurements.md), and answers DRF's question,
`allow_request`, with a bool, and hands the decision to the edge in front
(`record_rate_limit`), which writes the RateLimit headers on whatever answer
follows. DRF then raises its own `Throttled(wait)`,
which the exception handler (drf_support/exceptions.py) writes as the
contract's 429.

    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["throttling.throttles.DefaultRateThrottle"]

    class PingApi(APIView):
        throttle_classes = [RlDemoPingThrottle]   # replaces the default policy

DRF's order in `APIView.initial`: authentication, permissions, then
throttles, so a 401 or 403 is answered before any budget is spent.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from common.asgi.notes import record_rate_limit
from common.client_address import client_ip
from common.errors import RateLimited
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

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def get_policy(self, request: Request, view: Any) -> Policy | None:
        """Which budget this request spends; None to leave it unlimited."""
        raise NotImplementedError(".get_policy() must be overridden")

    def allow_request(self, request: Request, view: Any) -> bool:
        policy = self.get_policy(request, view)
        if policy is None:
            return True
        scope = request.META.get("asgi.scope")
        try:
            # With the cache down: no decision (fail open), or 503 when strict.
            decision = self.limiter(policy, strict=self.strict)
        except RateLimited as refused:
            self.retry_after = refused.retry_after
            record_rate_limit(scope, refused.decision)
            return False
        # The edge writes the RateLimit headers on whatever answer follows.
        record_rate_limit(scope, decision)
        return True

    def wait(self) -> float | None:
        """Seconds until the window that refused this request ends (DRF's Retry-After)."""
        return self.retry_after


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
