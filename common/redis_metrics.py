"""Prometheus metrics of the cache and Redis, served by `GET /metrics` with the rest.

    cache_answers_total{framework, result}          HIT or MISS of every cached read
    redis_errors_total{client}                      commands Redis did not answer
    rate_limit_store_down_total{policy, decision}   requests the limiter could not count
    cache_outbox_pending                            promised cache writes still on record

Why: a Redis that is down, slow or refusing a password degrades the API
quietly by design (cache MISS, limits fail open, 503 on login); these are
how an operator sees it happen. The metrics live in prometheus_client's
default registry, which the edge's `/metrics` exposes whole
(common/asgi/metrics.py), so defining them here is all it takes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster
from prometheus_client import REGISTRY, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

CACHE_ANSWERS = Counter(
    "cache_answers_total",
    "Cached reads answered, by framework and result (hit: from the cache; miss: computed).",
    ["framework", "result"],
)
REDIS_ERRORS = Counter(
    "redis_errors_total",
    "Redis commands that failed (refused, timed out, error reply), by client: "
    "django-redis's (cache API, limiter) or the hot read's.",
    ["client"],
)
RATE_LIMIT_STORE_DOWN = Counter(
    "rate_limit_store_down_total",
    "Requests the rate limiter could not count (cache down), by policy and decision: "
    "fail_open (admitted uncounted, RATE_LIMIT_FAIL_OPEN) or refused (503).",
    ["policy", "decision"],
)

_CACHE_RESULTS = {b"HIT": "hit", b"MISS": "miss"}


def count_cache_answer(framework: str, headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Count a response's `X-Cache` (ASGI headers, names lower-cased), if it has one."""
    for name, value in headers:
        if name == b"x-cache":
            result = _CACHE_RESULTS.get(value)
            if result is not None:
                CACHE_ANSWERS.labels(framework, result).inc()
            return


def count_rate_limit_store_down(policy: str, *, failed_open: bool) -> None:
    RATE_LIMIT_STORE_DOWN.labels(policy, "fail_open" if failed_open else "refused").inc()


def count_redis_error(client: str) -> None:
    REDIS_ERRORS.labels(client).inc()


class CountingRedis(redis.Redis):
    """redis-py's blocking client, counting the commands that fail.

    django-redis builds its clients from this class (REDIS_CLIENT_CLASS in
    config/settings.py), so the cache API, the limiter's script and
    `common.redis_client.sync_redis()` are all counted.
    """

    def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except redis.exceptions.NoScriptError:
            raise  # a script's first run after SCRIPT FLUSH: redis-py loads it and retries
        except redis.RedisError:
            REDIS_ERRORS.labels("django-redis").inc()
            raise


# The asyncio client's label in redis_errors_total.
ASYNC_CLIENT_NAME = "asyncio"


class CountingAsyncRedis(redis.asyncio.Redis):
    """redis-py's asyncio client (common.redis_client.async_redis), counting failed commands."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except redis.exceptions.NoScriptError:
            raise
        except redis.RedisError:
            REDIS_ERRORS.labels(ASYNC_CLIENT_NAME).inc()
            raise


class CountingRedisCluster(redis.cluster.RedisCluster):
    """redis-py's blocking Redis Cluster client (REDIS_CLUSTER), counting failed commands."""

    def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().execute_command(*args, **kwargs)  # type: ignore[no-untyped-call]
        except redis.exceptions.NoScriptError:
            raise
        except (redis.RedisError, redis.exceptions.RedisClusterException):
            REDIS_ERRORS.labels("django-redis").inc()
            raise


class CountingAsyncRedisCluster(redis.asyncio.cluster.RedisCluster):
    """redis-py's asyncio Redis Cluster client (REDIS_CLUSTER), counting failed commands."""

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().execute_command(*args, **kwargs)
        except redis.exceptions.NoScriptError:
            raise
        except (redis.RedisError, redis.exceptions.RedisClusterException):
            REDIS_ERRORS.labels(ASYNC_CLIENT_NAME).inc()
            raise


# --- The outbox backlog ---------------------------------------------------------------

# Seconds a scrape waits for the count: a stalled database must not stall /metrics.
OUTBOX_COUNT_TIMEOUT = 0.5
_outbox_counter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-metric")


def _count_outbox() -> int:
    from common.db import release_connections
    from common.models import PendingInvalidation

    try:
        return int(PendingInvalidation.objects.count())
    finally:
        release_connections()


class OutboxBacklog(Collector):
    """`cache_outbox_pending`: rows of common.models.PendingInvalidation, counted at scrape.

    Every process's promised cache writes (version bumps, revocations) wait
    there until the cache takes them; a number that keeps growing is a cache
    that has been refusing writes. Counted on a thread of its own (the edge
    serves /metrics on the event loop, where Django refuses a query), NaN when
    the database does not answer within OUTBOX_COUNT_TIMEOUT.
    """

    name = "cache_outbox_pending"
    documentation = "Promised cache writes (version bumps, revocations) not yet landed."

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The name alone: registering must not query the database."""
        yield GaugeMetricFamily(self.name, self.documentation)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            value = float(_outbox_counter.submit(_count_outbox).result(OUTBOX_COUNT_TIMEOUT))
        except Exception as exc:  # a timeout, the database down
            logger.warning("could not count the cache outbox for /metrics (%s)",
                           exc.__class__.__name__)
            value = float("nan")
        yield GaugeMetricFamily(self.name, self.documentation, value=value)


REGISTRY.register(OutboxBacklog())
