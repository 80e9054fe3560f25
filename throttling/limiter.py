"""The rate limiter core, shared by DRF, FastAPI and Flask.

    decision = check_rate(policy="anon", identity="203.0.113.7", rate="100/minute")
    decision.headers()
    # {"RateLimit-Policy": '"anon";q=100;w=60', "RateLimit": '"anon";r=99;t=41'}

One budget per (policy, identity): the framework is not part of the key, so a
client spends the same budget whichever prefix it calls. Over the limit,
`check_rate` raises `common.errors.RateLimited`, which every framework
already maps to 429 + Retry-After.

Why django-ratelimit underneath: its windows and keys (`get_usage`) count
with the cache's `add` (create the window's counter if missing) followed by
`incr` (atomic on Redis). Every request gets a distinct count, so N
concurrent requests against K remaining admit exactly K, also across
processes sharing one Redis. DRF's own throttles read a list, append and
write it back: under concurrency they admitted 40 of 40 against a limit of 5
(see the README). Windows are fixed, with a per-key offset (crc32 of the
identity) so that all clients' windows don't reset in the same second.

What this module adds on top, and why:
- a framework-neutral call: `get_usage` wants a request and a key; we pass a
  tiny `_Subject` holding the identity we already computed (identity.py).
- one round trip on Redis. `add` then `incr` is two round trips (and
  django-redis's `incr` is a Lua EVAL). `Counter` computes django-ratelimit's
  own key for the window and COUNT_IN_WINDOW, a short Lua script, does
  `SET key 0 NX EX` + `INCR key` in one EVALSHA; the hot read path
  (books/fast_read.py) sends the same two commands in its MULTI/EXEC. Same
  key, same count: a request counted any way spends the same budget (tests
  pin this).
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

import asyncio
import logging
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache as default_cache
from django_ratelimit.core import EXPIRATION_FUDGE, get_usage

from common.errors import RateLimited, ServiceUnavailable
from common.redis_client import async_redis, raw_key, script, sync_redis
from common.redis_metrics import count_rate_limit_store_down
from throttling.identity import bucket_for_ip
from throttling.ratelimit_internals import cache_key as ratelimit_cache_key
from throttling.ratelimit_internals import window as ratelimit_window
from throttling.rates import Rate, parse_rate, rate_setting

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

# get_usage's `method` default (every method): part of its cache key.
ALL_METHODS = get_usage.ALL

# Count one request in a window (get_usage's add + incr as SET NX + INCR), in
# one atomic step and one round trip. (The hot read path, books/fast_read.py,
# sends the same two commands inside its own MULTI/EXEC.)
# KEYS[1]: the counter. ARGV[1]: the counter's TTL in seconds, "0" to count
# nothing (the limiter switched off): the reply is then `false`, None in Python.
COUNT_IN_WINDOW = """
local count = false
if ARGV[1] ~= '0' then
  redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
  count = redis.call('INCR', KEYS[1])
end
return {count}
"""


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
    count_rate_limit_store_down(policy, failed_open=fail_open and not strict)
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
    counter = Counter(Policy(policy, identity, rate))  # bad config raises here, not as "down"
    if not counter.enabled:
        return None
    client = sync_redis()
    if client is not None:
        try:
            (count,) = script(client, COUNT_IN_WINDOW)(keys=counter.keys(), args=counter.args())
        except Exception as exc:  # ConnectionError, TimeoutError...: the cache is down
            counter.cache_down(exc, strict=strict)
            return None
        return counter.decide(count, strict=strict)
    return counter.count_with_cache_api(strict=strict)


async def acheck_rate(
    *, policy: str, identity: str, rate: str, strict: bool = False
) -> RateLimitDecision | None:
    """`check_rate` on an event loop: the loop's own client (redis_client.async_redis).

    That client (redis_wire's LoopRedis, or redis.asyncio for TLS, Sentinel
    and Cluster) keeps the count on the loop.

    Without Redis (the embedded default) the cache API is synchronous: a thread.
    """
    counter = Counter(Policy(policy, identity, rate))
    if not counter.enabled:
        return None
    client = async_redis()
    if client is None:
        return await asyncio.to_thread(counter.count_with_cache_api, strict=strict)
    try:
        (count,) = await script(client, COUNT_IN_WINDOW)(keys=counter.keys(), args=counter.args())
    except Exception as exc:
        counter.cache_down(exc, strict=strict)
        return None
    return counter.decide(count, strict=strict)


@lru_cache(maxsize=4096)
def _window_key(group: str, window_end: int, rate: tuple[int, int], identity: str) -> str:
    """django-ratelimit's key for one identity's window (a SHA-256 per call: memoised)."""
    return ratelimit_cache_key(group, window_end, rate, identity, ALL_METHODS)


class Counter:
    """One request's count in django-ratelimit's window for a policy.

        counter = Counter(policy)
        (count,) = script(client, COUNT_IN_WINDOW)(keys=counter.keys(), args=counter.args())
        decision = counter.decide(count)          # may raise RateLimited

    The window (and so the key) is fixed when the counter is made.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.parsed: Rate = parse_rate(policy.rate)
        self.window_end = ratelimit_window(policy.identity, self.parsed.window)
        self.key = _window_key(policy.name, self.window_end, self.parsed.as_tuple(),
                               policy.identity)
        # django-ratelimit's own switch (RATELIMIT_ENABLE): off, nothing is
        # counted and nothing limited. Only the bench turns it off, to measure
        # what the limiter costs.
        self.enabled = bool(getattr(settings, "RATELIMIT_ENABLE", True))

    @property
    def ttl(self) -> int:
        """Seconds the window's counter lives: get_usage's own choice."""
        return self.parsed.window + int(EXPIRATION_FUDGE)

    def keys(self, *others: str) -> list[str]:
        """Raw Redis keys: this counter, then `others` (Django cache keys)."""
        return [raw_key(key) for key in (self.key, *others)]

    def args(self) -> list[int]:
        """COUNT_IN_WINDOW's ARGV: the counter's TTL, or 0 to count nothing."""
        return [self.ttl if self.enabled else 0]

    def decide(self, count: int | None, *, strict: bool = False) -> RateLimitDecision | None:
        """The decision for this count; None for "no count" (cache down, fail open)."""
        if not self.enabled:
            return None
        if count is None:
            self.cache_down(None, strict=strict)
            return None
        count = int(count)
        limit, window = self.parsed.limit, self.parsed.window
        time_left = self.window_end - int(time.time())
        decision = RateLimitDecision(
            allowed=count <= limit,
            limit=limit,
            remaining=max(0, limit - count),
            reset=min(window, max(1, time_left + 1)),
            window=window,
            policy_name=self.policy.name,
        )
        # Returned, or carried by the 429: each framework's adapter hands it to
        # the edge, which writes the RateLimit headers on whatever answer follows.
        if not decision.allowed:
            raise RateLimited(decision.reset, decision=decision)
        return decision

    def give_back(self) -> None:
        """Undo this request's count (best effort: a lost refund costs one unit)."""
        try:
            client = sync_redis()
            if client is not None:
                client.decr(raw_key(self.key))
            else:
                default_cache.decr(self.key)
        except Exception:
            return

    def cache_down(self, exc: BaseException | None, *, strict: bool) -> None:
        """Log the outage; raise ServiceUnavailable unless limits fail open (then: no decision)."""
        _cache_down(exc, policy=self.policy.name, strict=strict)

    def count_with_cache_api(self, *, strict: bool) -> RateLimitDecision | None:
        """The same count through Django's cache API (any backend): django-ratelimit's get_usage."""
        if not self.enabled:
            return None
        try:
            usage = get_usage(
                _Subject(self.policy.identity),
                group=self.policy.name,
                key=_subject_key,
                rate=self.parsed.as_tuple(),
                increment=True,
            )
        except Exception as exc:  # any cache failure (ConnectionInterrupted, timeouts...)
            self.cache_down(exc, strict=strict)
            return None
        # get_usage's answer when add/incr returned nothing is a fake count
        # with `limit: 0` and `time_left: -1`. A real count can have
        # time_left -1 too (the clock ticked past the window's end during the
        # call): that is a count, not an outage, so look at the limit as well.
        if usage is None or (usage["limit"] == 0 and usage["time_left"] < 0):
            self.cache_down(None, strict=strict)
            return None
        return self.decide(int(usage["count"]), strict=strict)


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
