"""Prometheus metrics of the database connection pool, read at each scrape of `/metrics`.

    db_pool_requests_waiting{database}        requests waiting for a connection now
    db_pool_wait_seconds_total{database}      time requests spent waiting, in all
    db_pool_requests_queued_total{database}   requests that had to wait at all
    db_pool_timeouts_total{database}          requests that gave up waiting (PoolTimeout)

Why: with PostgreSQL every request borrows a connection from psycopg's pool
(DB_POOL_MIN_SIZE / DB_POOL_MAX_SIZE per process). A pool that is too small
for the load, or a database that answers slowly, shows first as requests
waiting here, before they turn into 503s. The numbers are psycopg_pool's
own (`ConnectionPool.get_stats()`), so nothing is counted on the request
path. SQLite has no pool: nothing is reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connections
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


def _pools() -> Iterator[tuple[str, Any]]:
    """(alias, psycopg pool) for every configured database that pools its connections."""
    for alias in connections:
        # Django's `pool` is None without OPTIONS["pool"] (SQLite, or pooling off).
        pool = getattr(connections[alias], "pool", None)
        if pool is not None:
            yield alias, pool


class DatabasePool(Collector):
    """The `db_pool_*` series: psycopg_pool's statistics, one label per database alias."""

    def describe(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        """The names alone: registering must not touch the database."""
        return iter(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        waiting, wait_seconds, queued, timeouts = self._families()
        for alias, pool in _pools():
            # get_stats() reads counters under the pool's lock: no connection, no query.
            stats = pool.get_stats()
            waiting.add_metric([alias], stats.get("requests_waiting", 0))
            wait_seconds.add_metric([alias], stats.get("requests_wait_ms", 0) / 1000)
            queued.add_metric([alias], stats.get("requests_queued", 0))
            timeouts.add_metric([alias], stats.get("requests_errors", 0))
        yield from (waiting, wait_seconds, queued, timeouts)

    @staticmethod
    def _families() -> tuple[
        GaugeMetricFamily, CounterMetricFamily, CounterMetricFamily, CounterMetricFamily
    ]:
        labels = ["database"]
        return (
            GaugeMetricFamily("db_pool_requests_waiting",
                              "Requests waiting for a pooled database connection now.",
                              labels=labels),
            CounterMetricFamily("db_pool_wait_seconds",
                                "Seconds requests spent waiting for a pooled connection.",
                                labels=labels),
            CounterMetricFamily("db_pool_requests_queued",
                                "Requests that had to wait for a pooled connection.",
                                labels=labels),
            CounterMetricFamily("db_pool_timeouts",
                                "Requests that gave up waiting for a pooled connection.",
                                labels=labels),
        )


REGISTRY.register(DatabasePool())
