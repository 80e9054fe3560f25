"""Redis Cluster (REDIS_CLUSTER=true): django-redis's cache API on redis-py's RedisCluster.

    CACHES["default"]["OPTIONS"]["CLIENT_CLASS"] = "common.redis_cluster.ClusterCacheClient"
    REDIS_URL=redis://10.0.0.5:7000/0    # any one node: the client learns the others

django-redis 7 ships clients for one Redis, for Sentinel and for its own
client-side sharding, none for Redis Cluster. A cluster client differs from
`DefaultClient` in two places: the connection (redis-py's `RedisCluster`,
which learns the slot map from the node it is given and follows MOVED and
ASK), and `get_many`, whose MGET would be refused when its keys live in
different hash slots (CROSSSLOT): `mget_nonatomic` sends one MGET per slot.
`delete_many` (DEL), `set_many` (a pipeline) and `clear` (FLUSHDB on every
master) are split by redis-py already.

No operation of the project needs two keys read or written as one atomic
step: every count (the limiter's script, the lockout's `add` + `incr`, the
books version's `incr`) is on one key, and the cached read's keys are
fetched by one pipeline that redis-py splits by node (common/redis_client.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django_redis.client import DefaultClient
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import ConnectionError, RedisClusterException, RedisError

from common.redis_metrics import CountingAsyncRedisCluster, CountingRedisCluster


def new_cluster_client(url: str, *, connect_timeout: float, socket_timeout: float) -> Any:
    """redis-py's blocking cluster client, starting from the node in `url`, built on first use."""
    return LazyCluster(lambda: CountingRedisCluster.from_url(
        url, socket_connect_timeout=connect_timeout, socket_timeout=socket_timeout,
    ))


class LazyCluster:
    """A RedisCluster built at its first command, not when it is asked for.

    redis-py's blocking RedisCluster asks for the slot map in its constructor
    and raises RedisClusterException when no node answers, where a plain
    Redis client connects at its first command. Built lazily, a cluster that
    is down at start is an outage like any Redis that is down (callers get a
    RedisError, degrade, and the next call tries again), not a crash; and the
    node's own answer is what is raised (a refused password stays an
    AuthenticationError for common/redis_checks.py).
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._connect()
                client = self._client
        return getattr(client, name)

    def _connect(self) -> Any:
        try:
            return self._build()
        except RedisClusterException as exc:
            if isinstance(exc.__cause__, RedisError):
                raise exc.__cause__ from None  # what the node answered: refused, down...
            raise ConnectionError(str(exc)) from exc


def new_async_cluster_client(
    url: str, *, seeds: list[tuple[str, int]], connect_timeout: float, socket_timeout: float,
) -> Any:
    """redis-py's asyncio cluster client, starting from the node in `url` and `seeds`.

    `seeds` are the nodes the process's blocking client has learned: an event
    loop's client made after the node in `url` died (a failover; FastAPI's
    first request after it) finds the cluster through the others, where the
    node in `url` alone would leave it with no node to ask.
    """
    from redis.asyncio.cluster import ClusterNode

    return CountingAsyncRedisCluster.from_url(
        url, startup_nodes=[ClusterNode(host, port) for host, port in seeds],
        socket_connect_timeout=connect_timeout, socket_timeout=socket_timeout,
    )


def known_nodes(client: Any) -> list[tuple[str, int]]:
    """The (host, port) of every node a blocking cluster client knows; [] if it knows none."""
    try:
        return [(node.host, node.port) for node in client.get_nodes()]
    except (RedisError, RedisClusterException):
        return []


class ClusterCacheClient(DefaultClient):  # type: ignore[misc]
    """django-redis's client with redis-py's RedisCluster as its connection."""

    def connect(self, index: int = 0) -> Any:
        options = self._options
        return new_cluster_client(
            self._server[index],
            connect_timeout=float(options.get("SOCKET_CONNECT_TIMEOUT") or 0.5),
            socket_timeout=float(options.get("SOCKET_TIMEOUT") or 0.5),
        )

    def disconnect(self, index: int = 0, client: Any = None) -> None:
        client = client if client is not None else self._clients[index]
        if client is not None:
            client.close()

    def get_many(self, keys: Any, version: int | None = None, client: Any = None) -> dict[Any, Any]:
        """One MGET per hash slot (a plain MGET across slots is refused)."""
        if client is None:
            client = self.get_client(write=False)
        if not keys:
            return {}
        raw_keys = {self.make_key(key, version=version): key for key in keys}
        try:
            values = client.mget_nonatomic(list(raw_keys))
        except (RedisError, RedisClusterException) as exc:
            raise ConnectionInterrupted(connection=client) from exc
        return {raw_keys[raw]: self.decode(value)
                for raw, value in zip(raw_keys, values, strict=True) if value is not None}
