"""Direct Redis access beside Django's cache API, for the hot paths that need it.

    client = sync_redis()          # None unless the default cache is django-redis
    client = async_redis()         # one pipelined connection per event loop (common/redis_wire.py)
    client = thread_redis()        # a redis-py connection per worker thread (common/redis_hot.py)
    replies = transaction(client, [("INCR", counter), ("MGET", version, page)])
    raw = raw_key("books:version") # "api:1:books:version": the key Django's cache uses

Why not only `django.core.cache.cache`: every call through it is one round
trip, and one cached read needs four things (count the rate limit, read the
books version, read the stored page, check the login family). A pipeline
sends them in one write and reads the four answers back: one round trip. And
the cache API is synchronous, so from FastAPI each call is a thread hop;
an asyncio client keeps a hit on the event loop.

On Redis Cluster (REDIS_CLUSTER) the clients are redis-py's cluster clients,
and `transaction` sends its commands as one pipeline that redis-py splits by
node (the keys of one read live in different hash slots, so a MULTI/EXEC
would be refused): each command is still atomic on its one key.

The keys are Django's own (`raw_key` applies the cache's KEY_PREFIX and
version), so what the pipeline reads and writes is what `cache.get`,
`cache.incr` and `cache.clear()` see: one store, two ways in.

Values written here are plain bytes or integers. django-redis stores integers
unpickled, so a counter made by `cache.incr` and one made by `INCR` are the
same thing.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django_redis import get_redis_connection
from redis.exceptions import RedisClusterException, RedisError

from common import redis_hot, redis_wire
from common.redis_cluster import known_nodes, new_async_cluster_client
from common.redis_epoch import epoch
from common.redis_hot import ThreadConnections
from common.redis_metrics import CountingAsyncRedis
from common.redis_wire import LoopRedis

# Fail fast when Redis is down, as the cache does (config/settings.py): a
# refused connection fails at once; a stalled Redis costs a request at most
# this long, then callers degrade. The asyncio client's clock is the event
# loop's: a burst of requests keeps the loop busy and stretches every wait,
# so its read timeout is longer than the kernel-timed 0.5 s of the sync one,
# or a busy second would pass for an outage (and limits would fail open).
ASYNC_CONNECT_TIMEOUT = 1.0
ASYNC_SOCKET_TIMEOUT = 2.0

# The key function that puts Redis's epoch in every key (config/settings.py).
EPOCH_KEY_FUNCTION = "common.redis_epoch.make_key"
# django-redis's client on Redis Cluster (config/settings.py, REDIS_CLUSTER).
CLUSTER_CLIENT_CLASS = "common.redis_cluster.ClusterCacheClient"

# sync_redis()'s client per cache LOCATION, for the life of the process. Not
# per cache backend object: Django keeps its backends in a context-local, and
# a2wsgi runs each request in a fresh context, so a backend (and the client
# django-redis builds for it) is new for every DRF and Flask request.
_sync_clients: dict[str, Any] = {}

# The attribute on a client that holds its registered scripts: they live and
# die with the client they run on, never in a table keyed by a client's id.
_SCRIPTS_ATTRIBUTE = "_registered_scripts"

_async_clients: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


class _CacheConfig(NamedTuple):
    uses_redis: bool
    location: str
    key_prefix: str
    epoch_keys: bool  # keys carry Redis's epoch (common/redis_epoch.py)
    cluster: bool  # Redis Cluster (common/redis_cluster.py)


@functools.cache
def _cache_config() -> _CacheConfig:
    """What the hot paths need from `settings.CACHES`, read once per configuration.

    Asked several times per request; `settings.CACHES` is a lazy settings
    lookup each time, and `caches["default"]` a thread-local (on the event
    loop, context-local) one. Forgotten when CACHES changes (below).
    """
    config = settings.CACHES["default"]
    return _CacheConfig(
        uses_redis=str(config["BACKEND"]).startswith("django_redis."),
        location=str(config.get("LOCATION", "")),
        key_prefix=_key_prefix(config.get("KEY_PREFIX", ""), config.get("VERSION", 1),
                               config.get("KEY_FUNCTION")),
        epoch_keys=config.get("KEY_FUNCTION") == EPOCH_KEY_FUNCTION,
        cluster=config.get("OPTIONS", {}).get("CLIENT_CLASS") == CLUSTER_CLIENT_CLASS,
    )


@receiver(setting_changed)
def _forget_cache_config(*, setting: str, **kwargs: Any) -> None:
    if setting == "CACHES":
        _cache_config.cache_clear()
        _sync_clients.clear()


def uses_redis() -> bool:
    """True when the default cache is django-redis (REDIS_URL is set)."""
    return _cache_config().uses_redis


def uses_cluster() -> bool:
    """True when the default cache is a Redis Cluster (REDIS_CLUSTER=true)."""
    return _cache_config().cluster


def raw_key(key: str) -> str:
    """The key as stored: Django's KEY_PREFIX and version applied (and Redis's epoch)."""
    config = _cache_config()
    if config.epoch_keys:
        return config.key_prefix + epoch.current() + key
    return config.key_prefix + key


def _key_prefix(prefix: str, version: int, key_function: Any) -> str:
    """What Django's default key function puts before every key ("api:1:").

    `cache.make_key` would go through Django's connection proxy on every
    call, and the hot path builds five keys per request. A custom
    KEY_FUNCTION is refused (the raw keys would no longer be Django's), but
    for common/redis_epoch.py's, which `raw_key` follows.
    """
    if key_function is not None and key_function != EPOCH_KEY_FUNCTION:
        raise ImproperlyConfigured("the hot read path needs Django's default cache KEY_FUNCTION")
    return f"{prefix}:{version}:"


def sync_redis() -> Any | None:
    """The process's blocking redis-py client on django-redis's pool, or None without Redis.

    Built once per cache LOCATION by `django_redis.get_redis_connection`
    (django-redis's documented way to the raw client). django-redis keeps one
    connection pool per URL for the process; this keeps one client around it,
    so a request costs a dict lookup, not a new client object.
    """
    config = _cache_config()
    if not config.uses_redis:
        return None
    client = _sync_clients.get(config.location)
    if client is None:
        client = get_redis_connection("default")
        _sync_clients[config.location] = client
    return client


# One per cache LOCATION (tests point the cache elsewhere): each holds a connection per thread.
_thread_clients: dict[str, ThreadConnections] = {}


def _wire_speaks(location: str) -> bool:
    """True when common/redis_wire.py serves the event loop: redis:// or unix://, one Redis."""
    options = settings.CACHES["default"].get("OPTIONS", {})
    return (redis_wire.supports(location) and not options.get("SENTINELS")
            and not _cache_config().cluster)


def thread_redis() -> Any | None:
    """The hot path's blocking client, for worker threads; None without Redis.

    common/redis_hot.py's ThreadConnections (a redis-py connection per
    thread, made like the cache's own: TLS, Sentinel and credentials alike)
    on one Redis; redis-py's cluster client (`sync_redis()`) on Redis
    Cluster. Only the cached read's one transaction goes through it;
    everything else uses `sync_redis()`.
    """
    config = _cache_config()
    if not config.uses_redis:
        return None
    if config.cluster:
        return sync_redis()
    client = _thread_clients.get(config.location)
    if client is None:
        cache_client = sync_redis()
        assert cache_client is not None  # uses_redis
        client = ThreadConnections(cache_client.connection_pool)
        _thread_clients[config.location] = client
    return client


def transaction(client: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
    """Run `commands` as one MULTI/EXEC on `client`; their replies, in order.

    On Redis Cluster: one pipeline, split by node (see the module's docstring).
    """
    if isinstance(client, ThreadConnections):
        return client.transaction(commands)  # counts its own errors
    pipe = client.pipeline()
    _queue_by_key(pipe, commands)
    try:  # the cluster client counts its own errors
        return _fold_by_key(commands, list(pipe.execute()))
    except RedisClusterException as exc:
        raise RedisError(str(exc)) from exc


async def atransaction(client: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
    """`transaction` for the event loop's client."""
    if isinstance(client, LoopRedis):
        return await client.transaction(commands)  # counts its own errors
    if not _cache_config().cluster:
        return await redis_hot.atransaction(client, commands)  # TLS, Sentinel
    cluster_pipe = client.pipeline()
    _queue_by_key(cluster_pipe, commands)
    try:
        return _fold_by_key(commands, list(await cluster_pipe.execute()))
    except RedisClusterException as exc:
        raise RedisError(str(exc)) from exc


def _queue_by_key(pipe: Any, commands: list[tuple[Any, ...]]) -> None:
    """Queue `commands` on a cluster pipeline, each MGET as one GET per key.

    The keys of one MGET may live in different hash slots; the GETs of a
    pipeline go to their own nodes, in order on each node's connection.
    """
    for command in commands:
        if command[0] == "MGET":
            for key in command[1:]:
                pipe.execute_command("GET", key)
        else:
            pipe.execute_command(*command)


def _fold_by_key(commands: list[tuple[Any, ...]], replies: list[Any]) -> list[Any]:
    """The replies of `_queue_by_key`'s pipeline, each MGET's GETs back as one list."""
    folded: list[Any] = []
    position = 0
    for command in commands:
        if command[0] == "MGET":
            count = len(command) - 1
            folded.append(replies[position:position + count])
            position += count
        else:
            folded.append(replies[position])
            position += 1
    return folded


def script(client: Any, source: str) -> Any:
    """A registered Lua script (EVALSHA, loaded on first use) for this client.

    Kept on the client itself: a script holds its client, and a table of
    scripts outside it would hold every client ever asked for.
    """
    scripts: dict[str, Any] | None = getattr(client, _SCRIPTS_ATTRIBUTE, None)
    if scripts is None:
        scripts = {}
        setattr(client, _SCRIPTS_ATTRIBUTE, scripts)
    registered = scripts.get(source)
    if registered is None:
        registered = client.register_script(source)
        scripts[source] = registered
    return registered


def async_redis() -> Any | None:
    """An asyncio Redis client for the running event loop, or None without Redis.

    common/redis_wire.py's LoopRedis (one pipelined connection) for redis://
    and unix:// URLs; redis-py's `redis.asyncio` client for TLS (rediss://),
    for the master behind Sentinel, and its cluster client for Redis Cluster.
    All answer the calls the hot paths make (`register_script`, `set`). One client per loop: asyncio
    connections belong to the loop that opened them, and tests start a loop
    per TestClient.
    """
    config = _cache_config()
    if not config.uses_redis:
        return None
    # The cache's own LOCATION (what django-redis connects to), so a test that
    # points the cache elsewhere points this client there too.
    location = config.location
    clients = _async_clients.setdefault(asyncio.get_running_loop(), {})
    client = clients.get(location)
    if client is None:
        if _wire_speaks(location):
            client = LoopRedis(location, connect_timeout=ASYNC_CONNECT_TIMEOUT,
                               reply_timeout=ASYNC_SOCKET_TIMEOUT)
        else:
            client = _new_async_client(location, settings.CACHES["default"].get("OPTIONS", {}))
        clients[location] = client
    return client


def _new_async_client(location: str, options: dict[str, Any]) -> Any:
    """redis-py's asyncio client for LOCATION: direct (TLS), Cluster, or Sentinel's master."""
    timeouts: dict[str, Any] = {"socket_timeout": ASYNC_SOCKET_TIMEOUT,
                                "socket_connect_timeout": ASYNC_CONNECT_TIMEOUT}
    if _cache_config().cluster:
        return new_async_cluster_client(location, seeds=known_nodes(sync_redis()),
                                        connect_timeout=ASYNC_CONNECT_TIMEOUT,
                                        socket_timeout=ASYNC_SOCKET_TIMEOUT)
    sentinels = options.get("SENTINELS")
    if not sentinels:
        return CountingAsyncRedis.from_url(location, **timeouts)
    # django-redis's form (config/settings.py): the master's name is the URL's host.
    from redis.asyncio.sentinel import Sentinel

    parts = urlsplit(location)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        sentinels, sentinel_kwargs=options.get("SENTINEL_KWARGS"),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ssl=parts.scheme == "rediss", **timeouts,
    )
    return sentinel.master_for(parts.hostname or "", redis_class=CountingAsyncRedis,
                               db=int(parts.path.strip("/") or 0))


# --- Bytes in, bytes out, on whichever store is configured ------------------------------
#
# The hot paths store plain bytes. On Redis they go through the raw client (so a
# pipeline reads back exactly what was written, not a pickle); on any other
# cache backend (the embedded default) through Django's cache API. Callers
# never branch on the backend themselves.


def get_many(keys: list[str]) -> list[Any]:
    """The values of `keys`, in order (None where missing)."""
    client = sync_redis()
    if client is not None:
        raw_keys = [raw_key(key) for key in keys]
        if _cache_config().cluster:
            return list(client.mget_nonatomic(raw_keys))  # one MGET per hash slot
        return list(client.mget(raw_keys))
    found = cache.get_many(keys)
    return [found.get(key) for key in keys]


def set_value(key: str, value: bytes, ttl: int) -> None:
    client = sync_redis()
    if client is not None:
        client.set(raw_key(key), value, ex=ttl)
    else:
        cache.set(key, value, timeout=ttl)


def add_value(key: str, value: bytes, ttl: int) -> bool:
    """Set `key` only if it is missing; True if this call set it."""
    client = sync_redis()
    if client is not None:
        return bool(client.set(raw_key(key), value, ex=ttl, nx=True))
    return bool(cache.add(key, value, timeout=ttl))
