"""The cached read's one MULTI/EXEC, sent through redis-py's connections with nothing around them.

    connections = ThreadConnections(sync_redis().connection_pool)
    replies = connections.transaction([("INCR", counter), ("MGET", version, page)])  # blocking
    replies = await atransaction(async_client, [("INCR", counter), ("MGET", version, page)])

Why not `client.pipeline(transaction=True)`: a pipeline checks a connection
out of the pool (a lock, a poll of the socket, observability hooks) and
wraps the call in retry helpers; for a cached `GET /books`, which does
little else, that was a large share of the request's CPU (docs/redis.md,
"Measuring"). redis-py's `Connection` has the public calls a pipeline is
made of (`pack_commands`, `send_packed_command`, `read_response`): this
module calls them directly, with hiredis's parser underneath.

- On worker threads (DRF and Flask behind a2wsgi) each thread keeps one
  `Connection` of its own, made from the cache pool's class and settings
  (TLS, Sentinel, credentials, timeouts alike): no pool, no lock. A thread
  lives as long as the server's thread pool, and so does its connection;
  nothing is kept per request.
- On an event loop, `atransaction` checks a connection out of a
  `redis.asyncio` client's pool for the exchange. Only TLS and Sentinel take
  this path: on `redis://` and `unix://` the loop keeps common/redis_wire.py,
  which shares one connection among every request in flight (measured:
  docs/redis.md).

Any failure mid-exchange drops that connection (its replies would be out of
step); the next call connects again. Errors are redis-py's own.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from redis.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from common.redis_metrics import count_redis_error

# This path's label in redis_errors_total.
CLIENT_NAME = "hot-read"

Command = Sequence[Any]


def _wrapped(commands: Sequence[Command]) -> list[Command]:
    return [("MULTI",), *commands, ("EXEC",)]


def _exec_result(results: Any) -> list[Any]:
    """EXEC's replies; the first error among them raised."""
    if not isinstance(results, list):
        raise ResponseError(f"unexpected EXEC reply {results!r}")
    for result in results:
        if isinstance(result, ResponseError):
            raise result
    return results


class ThreadConnections:
    """One redis-py `Connection` per thread, for `transaction`."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._local = threading.local()

    def transaction(self, commands: Sequence[Command]) -> list[Any]:
        """MULTI, `commands`, EXEC in one write; the commands' replies, in order.

        A connection that served before and now fails to connect or to answer
        (Redis restarted and closed it; behind Sentinel, its master became a
        replica: redis-py raises ConnectionError for READONLY there) is made
        again once, as redis-py's own clients retry: each thread would
        otherwise fail open once after every restart or failover, however
        long after it. A timeout is not retried: a stalled Redis costs one.
        """
        connection = getattr(self._local, "connection", None)
        if connection is None:
            pool = self._pool
            connection = pool.connection_class(**pool.connection_kwargs)
            self._local.connection = connection
        served_before = connection.is_connected
        try:
            return _exchange(connection, commands)
        except RedisConnectionError:
            connection.disconnect()
            if not served_before:
                count_redis_error(CLIENT_NAME)
                raise
        except RedisError:
            count_redis_error(CLIENT_NAME)
            # A refused command leaves the replies after it unread.
            connection.disconnect()
            raise
        try:
            return _exchange(connection, commands)
        except RedisError:
            count_redis_error(CLIENT_NAME)
            connection.disconnect()
            raise


def _exchange(connection: Any, commands: Sequence[Command]) -> list[Any]:
    if not connection.is_connected:
        # `connect()`, as redis-py's pool calls it: Sentinel's connection asks
        # the sentinels for the master there. Sending on a closed connection
        # would connect to the URL's host ("redis://mymaster") instead, and
        # every cached read behind Sentinel failed open.
        connection.connect()
    connection.send_packed_command(connection.pack_commands(_wrapped(commands)))
    replies = [connection.read_response() for _ in range(len(commands) + 2)]
    return _exec_result(replies[-1])


async def atransaction(client: Any, commands: Sequence[Command]) -> list[Any]:
    """`ThreadConnections.transaction` on a `redis.asyncio` client's pool."""
    pool = client.connection_pool
    try:
        connection = await pool.get_connection()
    except RedisError:
        count_redis_error(CLIENT_NAME)
        raise
    try:
        # With RESP3's maintenance notifications on (redis-py's default) the pool
        # hands out a connection Redis has closed (a restart, CLIENT KILL) without
        # asking; ask here, at no cost: the stream already knows it met EOF.
        if await connection.can_read():
            await connection.disconnect()
        await connection.send_packed_command(connection.pack_commands(_wrapped(commands)))
        replies = [await connection.read_response() for _ in range(len(commands) + 2)]
        return _exec_result(replies[-1])
    except RedisError:
        count_redis_error(CLIENT_NAME)
        await connection.disconnect()
        raise
    finally:
        await pool.release(connection)
