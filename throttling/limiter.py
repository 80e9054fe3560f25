"""The rate limiter core, shared by DRF, FastAPI and Flask.

    decision = check_rate(policy="anon", identity="203.0.113.7", rate="100/minute")
    decision.headers()
    # {"RateLimit-Policy": '"anon";q=100;w=60', "RateLimit": '"anon";r=99;t=41'}

One budget per (policy, identity): the framework is not part of the key, so a
client spends the same budget whichever prefix it calls. Over the limit,
`check_rate` raises `common.errors.RateLimited`, which every framework
already maps to 429 + Retry-After.

Why django-ratelimit's `get_usage` underneath: it counts with the cache's
`add` (create the window's counter if missing) followed by `incr` (atomic
on Redis, lock-guarded in LocMem). Every request gets a distinct count, so N
concurrent requests against K remaining admit exactly K, also across
processes sharing one Redis. DRF's own throttles read a list, append and
write it back: under concurrency they admitted 40 of 40 against a limit of 5
(../shared/NOTES.md). Windows are fixed, with a per-key offset (crc32 of the
identity) so that all clients' windows don't reset in the same second.

What this module adds around it, and why:
- a framework-neutral call: `get_usage` wants a request and a key; we pass a
  tiny `_Subject` holding the identity we already computed (identity.py).
- its failure modes made explicit: it lets most cache exceptions escape
  (only socket.gaierror is caught) and reports a failed add/incr as a
  fake "limit 0" answer. Both mean "cache down" here, and RATE_LIMIT_FAIL_OPEN
  (not django-ratelimit's own setting) decides: fail open, or 503.
- `t = time_left + 1`: `get_usage` names a window by its last whole second
  `w` and counts into it while `int(now) <= w`, so its `time_left` is 0
  during that last second and the new window starts at `w + 1`. Telling a
  client "t = time_left" would make its retry arrive one second early (and
  "0" invites a tight loop); `time_left + 1` is always 1..window and a retry
  after `t` seconds lands in the new window.

Its one limitation: the clock is `time.time()` inside django_ratelimit.core
and the cache is settings.RATELIMIT_USE_CACHE ("default"), not class
attributes we could swap. Tests move time by patching `time.time`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django_ratelimit.core import get_usage

from common.errors import RateLimited, ServiceUnavailable
from throttling.identity import bucket_for_ip
from throttling.rates import parse_rate, rate_setting

logger = logging.getLogger(__name__)

# Policy names: they appear in the RateLimit headers and in the cache keys.
POLICY_USER = "user"
POLICY_ANON = "anon"
POLICY_RL_DEMO_PING = "rl-demo-ping"
POLICY_RL_DEMO_LOGIN_SIM = "rl-demo-login-sim"

# Per-IP policies of the demo endpoints and the setting holding each rate.
IP_POLICY_SETTINGS: dict[str, str] = {
    POLICY_RL_DEMO_PING: "RL_DEMO_PING",
    POLICY_RL_DEMO_LOGIN_SIM: "RL_DEMO_LOGIN_SIM",
}

# Seconds a client is told to wait when the cache (hence the limiter) is down.
CACHE_DOWN_RETRY_AFTER = 30


class Policy(NamedTuple):
    """Which budget a request spends: policy name, identity, rate string."""

    name: str
    identity: str
    rate: str


@dataclass(frozen=True)
class RateLimitDecision:
    """The outcome of one counted request, and the headers that describe it."""

    allowed: bool
    limit: int  # q: requests per window
    remaining: int  # r: left in this window after this request, never negative
    reset: int  # t: seconds until the window resets, >= 1
    window: int  # w: window length in seconds
    policy_name: str

    def headers(self) -> dict[str, str]:
        """IETF draft-ietf-httpapi-ratelimit-headers (structured-field form)."""
        name = self.policy_name
        return {
            "RateLimit-Policy": f'"{name}";q={self.limit};w={self.window}',
            "RateLimit": f'"{name}";r={self.remaining};t={self.reset}',
        }


@dataclass(frozen=True)
class _Subject:
    """Stands in for the `request` django-ratelimit expects: only the key is read."""

    identity: str


def _subject_key(group: str, subject: _Subject) -> str:
    return subject.identity


def _cache_down(exc: BaseException | None, *, policy: str, strict: bool) -> None:
    fail_open = bool(getattr(settings, "RATE_LIMIT_FAIL_OPEN", True))
    logger.warning(
        "rate-limit cache unavailable for policy %s (%s): %s",
        policy,
        exc.__class__.__name__ if exc else "no count",
        "failing open" if fail_open and not strict else "refusing with 503",
    )
    if strict or not fail_open:
        raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER)
    return None


def check_rate(
    *, policy: str, identity: str, rate: str, strict: bool = False
) -> RateLimitDecision | None:
    """Count one request against (policy, identity) and decide.

    :return: the decision (allowed) whose `.headers()` go on the response;
        None when the cache is down and limits fail open (no headers then).
    :raise RateLimited: over the limit (429, Retry-After = t, RateLimit headers).
    :raise ServiceUnavailable: the cache is down and `strict` is set (token and
        refresh endpoints) or RATE_LIMIT_FAIL_OPEN is false.
    :raise ImproperlyConfigured: `rate` is not "N/second|minute|hour|day".
    """
    parsed = parse_rate(rate)  # outside the try: bad config must not pass as "cache down"
    try:
        usage = get_usage(
            _Subject(identity),
            group=policy,
            key=_subject_key,
            rate=parsed.as_tuple(),
            increment=True,
        )
    except Exception as exc:  # any cache failure (ConnectionInterrupted, timeouts...)
        return _cache_down(exc, policy=policy, strict=strict)

    if usage is None:
        if not getattr(settings, "RATELIMIT_ENABLE", True):
            return None  # django-ratelimit switched off globally: nothing to enforce
        return _cache_down(None, policy=policy, strict=strict)
    if usage["time_left"] < 0:
        # get_usage's answer when add/incr returned nothing: not a real count.
        return _cache_down(None, policy=policy, strict=strict)

    count = int(usage["count"])
    decision = RateLimitDecision(
        allowed=count <= parsed.limit,
        limit=parsed.limit,
        remaining=max(0, parsed.limit - count),
        reset=min(parsed.window, max(1, int(usage["time_left"]) + 1)),
        window=parsed.window,
        policy_name=policy,
    )
    if not decision.allowed:
        raise RateLimited(decision.reset, headers=decision.headers())
    return decision


def enforce(policy: Policy, *, strict: bool = False) -> RateLimitDecision | None:
    """`check_rate` for a Policy: what each framework's adapter calls."""
    return check_rate(
        policy=policy.name, identity=policy.identity, rate=policy.rate, strict=strict
    )


def default_policy(*, user_id: int | None, ip: str) -> Policy:
    """Every endpoint's policy: per user when authenticated, else per client IP."""
    if user_id is not None:
        rate_setting("RATE_LIMIT_USER")  # fail with the setting's name on a bad value
        return Policy(POLICY_USER, f"user:{user_id}", settings.RATE_LIMIT_USER)
    rate_setting("RATE_LIMIT_ANON")
    return Policy(POLICY_ANON, f"ip:{bucket_for_ip(ip)}", settings.RATE_LIMIT_ANON)


def ip_policy(name: str, *, ip: str) -> Policy:
    """A named per-IP policy (the demos), its rate read from its setting now."""
    setting = IP_POLICY_SETTINGS[name]
    rate_setting(setting)  # fail with the setting's name on a bad value
    return Policy(name, f"ip:{bucket_for_ip(ip)}", getattr(settings, setting))
