"""TEMPORARY, for measuring only: the hot read's client chosen by HOT_READ_CLIENT.

    HOT_READ_CLIENT=wire      common/redis_wire.py (LoopRedis, ThreadRedis)
    HOT_READ_CLIENT=redispy   common/redis_hot.py (Connection per thread; redis.asyncio pool)
    HOT_READ_CLIENT=coredis   threads as redispy; the loop's transaction through coredis's pipeline
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

CHOICE = os.environ.get("HOT_READ_CLIENT", "redispy")


class CoredisLoopClient:
    """coredis 6 wants `async with client`: a task on the loop holds it open."""

    def __init__(self, url: str) -> None:
        import coredis

        self.client: Any = coredis.Redis.from_url(url, stream_timeout=2.0, connect_timeout=1.0)
        self._ready: asyncio.Future[None] | None = None
        self._holder: asyncio.Task[None] | None = None

    async def _hold(self) -> None:
        async with self.client:
            assert self._ready is not None
            self._ready.set_result(None)
            await asyncio.Event().wait()

    async def transaction(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        from coredis import PureToken

        if self._ready is None:
            loop = asyncio.get_running_loop()
            self._ready = loop.create_future()
            self._holder = loop.create_task(self._hold())
        await asyncio.shield(self._ready)
        async with self.client.pipeline(transaction=True) as pipe:
            for command in commands:
                name = command[0]
                if name == "SET":
                    pipe.set(command[1], command[2], ex=command[4], condition=PureToken.NX)
                elif name == "INCR":
                    pipe.incr(command[1])
                elif name == "MGET":
                    pipe.mget(command[1:])
                else:
                    raise ValueError(name)
        return [list(r) if isinstance(r, tuple) else r for r in pipe.results]


class NoTimeoutPool:
    """redis.asyncio connections without socket_timeout (no wait_for task per send);
    the whole exchange under one asyncio.timeout instead."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self.pool = redis.asyncio.ConnectionPool.from_url(
            url, socket_timeout=None, socket_connect_timeout=1.0)

    async def transaction(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        from common import redis_hot

        async with asyncio.timeout(2.0):
            return await redis_hot.atransaction(self, commands)

    @property
    def connection_pool(self) -> Any:
        return self.pool


class SharedConnection:
    """One redis.asyncio connection per loop, one exchange at a time (a lock)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        pool = redis.asyncio.ConnectionPool.from_url(
            url, socket_timeout=None, socket_connect_timeout=1.0)
        self.connection = pool.make_connection()  # type: ignore[no-untyped-call]
        self.lock = asyncio.Lock()

    async def transaction(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        from common import redis_hot

        connection = self.connection
        async with asyncio.timeout(2.0):
            async with self.lock:
                await connection.send_packed_command(
                    connection.pack_commands(redis_hot._wrapped(commands)))
                replies = [await connection.read_response() for _ in range(len(commands) + 2)]
        return redis_hot._exec_result(replies[-1])


# The transaction's commands as one script: count (SET NX EX + INCR), then MGET.
HOT_READ_LUA = """
local count = false
if tonumber(ARGV[1]) > 0 then
  redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
  count = redis.call('INCR', KEYS[1])
end
return {count, redis.call('MGET', unpack(KEYS, 2))}
"""


class CoredisEvalClient(CoredisLoopClient):
    """coredis, the read as one EVALSHA (coredis multiplexes commands on a connection)."""

    async def transaction(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        if self._ready is None:
            loop = asyncio.get_running_loop()
            self._ready = loop.create_future()
            self._holder = loop.create_task(self._hold())
            self.script = self.client.register_script(HOT_READ_LUA)
        await asyncio.shield(self._ready)
        if commands[0][0] == "SET":
            keys, ttl = [commands[0][1], *commands[-1][1:]], commands[0][4]
        else:
            keys, ttl = ["unused", *commands[-1][1:]], 0
        count, values = await self.script(keys=keys, args=[ttl])
        return [count, list(values)] if ttl else [list(values)]
