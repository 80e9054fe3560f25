"""Redis's history in every key: a Redis that comes back with another past serves none of it.

    KEY_FUNCTION = "common.redis_epoch.make_key"   # config/settings.py, Redis caches only
    make_key("books:version", "api", 1)            # "api:1:e3f1c0a9d2b47:books:version"

A Redis restarted from an older snapshot, or a replica promoted before it
caught up, holds keys from the past: an older books version (the old title
served as a HIT), a login family's snapshot from before its logout (the
revoked token accepted). Such a Redis always has a new `run_id` (INFO
server). Every key carries the first characters of the run_id its Redis had
when the process last looked, so keys written under another history are
never read: the cache starts cold, versions start over, and token checks go
back to the database until snapshots are written again.

On Redis Cluster each master has its own run_id, and any one of them coming
back with another past (a restart from a snapshot, a replica promoted before
it caught up) serves stale keys from its slots. So the cluster's epoch is a
digest of every master's run_id: any such change on any master makes the
whole cache cold at once. The cluster's own `cluster_current_epoch` would
not do: it moves on a failover but not when a master restarts from an older
snapshot with its nodes.conf. A reshard that adds a master changes the
epoch too (one cold cache, like a restart).

The run_id is read once when the first key is made and then every
POLL_INTERVAL seconds by a daemon thread per process; a change is logged. A
Redis that does not answer keeps the last epoch (an outage is not a new
history). One never reached gives keys without an epoch, and is asked again
each time a key is made until it answers; writes that must land in the
right history (the retried version bumps and revocations) wait for
`known()` instead: a write made without the epoch would land where no
reader looks once the epoch is learned.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any

from django.conf import settings
from django_redis import get_redis_connection
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
# Characters of run_id in a key: 12 hex digits, 48 bits, never repeat by chance.
EPOCH_LENGTH = 12


def default_cache_client() -> Any | None:
    """django-redis's client of the default cache, or None when that cache is not Redis.

    Asked here rather than from common/redis_client.py, which builds keys with
    this module's epoch: the epoch depends on django-redis only.
    """
    if not str(settings.CACHES["default"]["BACKEND"]).startswith("django_redis."):
        return None
    return get_redis_connection("default")


def _is_cluster() -> bool:
    # The cache's client class says it (config/settings.py sets it with REDIS_CLUSTER).
    options = settings.CACHES["default"].get("OPTIONS", {})
    return bool(options.get("CLIENT_CLASS") == "common.redis_cluster.ClusterCacheClient")


class RedisEpoch:
    """The current epoch ("e<run_id prefix>:" or ""), kept fresh by one poller thread."""

    def __init__(self) -> None:
        self._value: str | None = None  # None: Redis never answered this process
        self._lock = threading.Lock()
        # One thread at a time asks a Redis not yet reached. Threads that
        # arrive while it asks wait for that answer and take it, whatever it
        # is: the ones that went on without it made keys in the epoch-less
        # keyspace while the asker made them in Redis's own, two rate budgets
        # in one process (CI: 10 admitted for a limit of 5). They do not ask
        # again in turn, so a stalled Redis costs them one socket timeout,
        # the one their own command would cost anyway.
        self._asking = threading.Lock()
        self._asks = 0  # answers asked for so far, to know if one came while waiting
        self._thread: threading.Thread | None = None

    def current(self) -> str:
        value = self._value
        if value is None:
            self._start()
            asks_before = self._asks
            with self._asking:
                if self._value is None and self._asks == asks_before:
                    self._value = self._ask()
                    self._asks += 1
            value = self._value
        return value or ""

    def known(self) -> bool:
        """True once Redis has answered this process (or the cache is not Redis)."""
        if self._value is None:
            self.current()
        return self._value is not None

    def refresh(self) -> bool:
        """Ask Redis now; True if the epoch changed."""
        found = self._ask()
        if found is None or found == self._value:
            return False
        if self._value:
            logger.warning("Redis's run_id changed (a restart or a failover): everything "
                           "cached before is treated as gone")
            _drop_pooled_connections()
        self._value = found
        return True

    def _ask(self) -> str | None:
        client = default_cache_client()
        if client is None:
            return ""
        try:
            run_id = _cluster_run_id(client) if _is_cluster() else _run_id(client)
        except Exception:  # down or unreachable: not a new history
            return None
        return f"e{run_id[:EPOCH_LENGTH]}:"

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._poll, name="redis-epoch",
                                                daemon=True)
                self._thread.start()

    def _poll(self) -> None:
        while True:
            time.sleep(POLL_INTERVAL)
            try:
                self.refresh()
            except Exception:  # never let the poller die
                logger.exception("could not read Redis's run_id")


def _drop_pooled_connections() -> None:
    """Close the cache pool's connections: each reconnects to the current master.

    After a failover behind Sentinel some may still reach the old master, a
    replica now, where reads go on answering from the past (see `_run_id`).
    """
    client = default_cache_client()
    if client is not None and not _is_cluster():
        client.connection_pool.disconnect()


def _run_id(client: Any) -> str:
    """The run_id of the master the client writes to.

    Behind Sentinel, a pooled connection opened before a failover still
    reaches the old master, a replica once Sentinel has demoted it, and reads
    go on there (only a write is refused, READONLY, and reconnects). Its
    run_id is not the history writes go to: taken as the epoch, every process
    flipped between two keyspaces while its pool held both kinds of
    connection, and cached reads never hit. Such an answer drops the pool's
    connections (they reconnect through the sentinels) and counts as no
    answer; the next ask reaches the new master.
    """
    # INFO's default sections hold both (INFO with two sections needs Redis 7).
    info = client.info()
    if info.get("role") != "master":
        client.connection_pool.disconnect()
        raise RedisConnectionError("a replica answered: a connection from before a failover")
    return str(info["run_id"])


def _cluster_run_id(client: Any) -> str:
    """A digest of every master's run_id (redis-py's RedisCluster): one changes, it changes."""
    answers = client.info("server", target_nodes=client.PRIMARIES)
    if "run_id" in answers:  # a cluster of one master: its answer, not a dict of them
        answers = {"": answers}
    run_ids = sorted(str(info["run_id"]) for info in answers.values())
    return hashlib.blake2b("\n".join(run_ids).encode(), digest_size=16).hexdigest()


epoch = RedisEpoch()


def make_key(key: str, key_prefix: str, version: Any) -> str:
    """Django's default key with the epoch after the version: "prefix:version:epoch:key"."""
    return f"{key_prefix}:{version}:{epoch.current()}{key}"
