"""Redis's wire protocol spoken directly, for the hot read on an event loop: one small client.

    client = LoopRedis("redis://127.0.0.1:6379/2", connect_timeout=1.0, reply_timeout=2.0)
    replies = await client.transaction([("INCR", counter), ("MGET", version, page)])
    count, *values = await client.register_script(LUA)(keys=[...], args=[...])
    await client.set("key", b"value", ex=120)

It does only what the hot path asks of Redis on FastAPI's event loop (a
MULTI/EXEC transaction, a Lua script, a SET), with the same calls as
redis-py's asyncio client, so common/redis_client.py can hand out either.
Worker threads (DRF, Flask) use redis-py's own connections
(common/redis_hot.py); everything else uses redis-py through django-redis.

Why not redis-py (or coredis) on the loop too: they give each request in
flight a connection of its own, so under load every request costs its own
write, its own read and its own wake-up, where this client shares one
connection among all of them. On the cached `GET /books` at 32 connections
redis-py's asyncio client (hiredis, its connections used directly, no
pipeline object) served 39% fewer requests per second, coredis 60-69% fewer
(docs/redis.md, "Measuring", 2026-12-07).

- **One connection, pipelined.** Redis answers the commands of a connection
  in the order it received them. So every request on this event loop writes
  its command to the same socket and waits on a future; replies are handed
  to the waiting futures in order as they arrive (`_RedisProtocol`). No pool,
  no locks: the event loop is single-threaded.
- **Writes gathered per loop turn.** Commands queued while the loop runs
  other requests go out in one `write` at the end of the turn: under load,
  one syscall carries many requests' commands.
- **hiredis** (already a dependency) parses the replies, in C.
- **Timeouts without a timer per command.** One watchdog looks at the oldest
  unanswered command: if it has waited longer than `reply_timeout`, the
  connection is stalled, and it is closed, failing every waiting command at
  once (a stalled Redis must cost a request a bounded wait, then the callers
  degrade: a MISS, limits failing open). The next command reconnects.

Errors are redis-py's own (`redis.exceptions.ConnectionError`,
`TimeoutError`, `ResponseError`), so callers catch what they already catch.
Only `redis://` and `unix://` URLs are spoken here; `supports(url)` says so,
and common/redis_client.py uses redis-py for anything else (TLS, for one).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.redis_metrics import count_redis_error

# This client's label in redis_errors_total.
CLIENT_NAME = "hot-read"

SUPPORTED_SCHEMES = ("redis", "unix")

Arg = bytes | str | int


def supports(url: str) -> bool:
    """True for the URLs these clients speak: redis:// and unix://."""
    return urlsplit(url).scheme in SUPPORTED_SCHEMES


class RedisAddress:
    """Where to connect and how to log in, from a redis:// or unix:// URL."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in SUPPORTED_SCHEMES:
            raise ValueError(f"only redis:// and unix:// URLs are spoken here, not {parts.scheme}://")
        query = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair)
        self.unix_path = parts.path if parts.scheme == "unix" else None
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 6379
        path_db = parts.path.strip("/") if parts.scheme == "redis" else ""
        self.db = int(query.get("db") or path_db or 0)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None

    def setup_commands(self) -> list[list[Arg]]:
        """What a new connection sends before anything else: AUTH, SELECT."""
        commands: list[list[Arg]] = []
        if self.password is not None:
            credentials = [self.username, self.password] if self.username else [self.password]
            commands.append(["AUTH", *credentials])
        if self.db:
            commands.append(["SELECT", self.db])
        return commands


def pack_command(args: Sequence[Arg]) -> bytes:
    """One command in RESP, the protocol Redis reads: `*<n>` then `$<len>` + bytes per argument."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = b"%d" % arg
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def _transaction_commands(commands: Sequence[Sequence[Arg]]) -> list[bytes]:
    return [pack_command(("MULTI",)), *(pack_command(c) for c in commands),
            pack_command(("EXEC",))]


def _transaction_result(replies: list[Any]) -> list[Any]:
    """EXEC's replies, once MULTI said OK and each command was queued; else the error."""
    for reply in replies[:-1]:
        if isinstance(reply, ResponseError):
            raise reply  # a command Redis refused to queue: EXEC aborts it all
    results = replies[-1]
    if isinstance(results, ResponseError):
        raise results
    if not isinstance(results, list):
        raise ResponseError(f"unexpected EXEC reply {results!r}")
    for result in results:
        if isinstance(result, ResponseError):
            raise result
    return results


class _RedisProtocol(asyncio.Protocol):
    """The connection: commands out in order, replies to the waiting futures in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, reply_timeout: float) -> None:
        self.loop = loop
        self.reply_timeout = reply_timeout
        self.reader = hiredis.Reader(replyError=ResponseError)
        self.transport: asyncio.Transport | None = None
        # (future, deadline) of every command sent and not yet answered, oldest first.
        self.waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.outgoing: list[bytes] = []
        self.closed = False
        self._watchdog: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol -------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        waiting = self.waiting
        while True:
            reply = self.reader.gets()
            if reply is False:  # hiredis: no complete reply yet
                return
            if not waiting:  # a reply nobody asked for: the stream is out of step
                self.close(RedisConnectionError("Redis sent a reply nobody asked for"))
                return
            future, _deadline = waiting.popleft()
            if not future.done():  # its request may have been cancelled meanwhile
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.close(RedisConnectionError(f"Redis connection lost ({exc or 'closed by Redis'})"))

    def close(self, error: Exception) -> None:
        """Drop the connection; every command still waiting fails with `error`."""
        self.closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.transport is not None:
            self.transport.abort()  # no-op when already closed
        while self.waiting:
            future, _deadline = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)

    # --- sending -------------------------------------------------------------------

    def send(self, command: bytes) -> asyncio.Future[Any]:
        """Queue `command`; the future gets its reply (a ResponseError is a value, not raised)."""
        if self.closed:
            raise RedisConnectionError("Redis connection closed")
        future = self.loop.create_future()
        self.waiting.append((future, time.monotonic() + self.reply_timeout))
        if not self.outgoing:
            # The first command of this loop turn: write them all when the turn ends.
            self.loop.call_soon(self._flush)
        self.outgoing.append(command)
        if self._watchdog is None:
            self._watchdog = self.loop.call_later(self.reply_timeout, self._check_stalled)
        return future

    def _flush(self) -> None:
        if self.transport is not None and not self.closed and self.outgoing:
            self.transport.write(b"".join(self.outgoing))
        self.outgoing.clear()

    def _check_stalled(self) -> None:
        self._watchdog = None
        if self.closed or not self.waiting:
            return
        late_by = time.monotonic() - self.waiting[0][1]
        if late_by >= 0:
            self.close(RedisTimeoutError(f"Redis did not answer within {self.reply_timeout:g} s"))
            return
        self._watchdog = self.loop.call_later(-late_by, self._check_stalled)


class LoopScript:
    """A Lua script run by its SHA1 (EVALSHA), sent whole (EVAL) the first time Redis lacks it."""

    def __init__(self, client: LoopRedis, source: str) -> None:
        self.client = client
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, keys: Sequence[Arg] = (), args: Sequence[Arg] = ()) -> Any:
        try:
            return await self.client.execute("EVALSHA", self.sha, len(keys), *keys, *args)
        except ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        # EVAL runs it and adds it to Redis's script cache: the next EVALSHA finds it.
        return await self.client.execute("EVAL", self.source, len(keys), *keys, *args)


class LoopRedis:
    """The client: connects on first use (and again after any failure), on the running loop."""

    def __init__(self, url: str, *, connect_timeout: float, reply_timeout: float) -> None:
        self.address = RedisAddress(url)
        self.connect_timeout = connect_timeout
        self.reply_timeout = reply_timeout
        self._protocol: _RedisProtocol | None = None
        self._connecting: asyncio.Future[_RedisProtocol] | None = None

    async def execute(self, *args: Arg) -> Any:
        """Send one command; its reply. :raise redis.exceptions.RedisError: any failure."""
        try:
            protocol = self._protocol
            if protocol is None or protocol.closed:
                protocol = await self._connection()
            reply = await protocol.send(pack_command(args))
        except RedisError:
            count_redis_error(CLIENT_NAME)
            raise
        if isinstance(reply, ResponseError):
            raise reply
        return reply

    async def transaction(self, commands: Sequence[Sequence[Arg]]) -> list[Any]:
        """MULTI, `commands`, EXEC: one write, run by Redis as one atomic step.

        What a short Lua script would do, at a fraction of Redis's CPU per
        call. :return: the commands' replies, in order.
        """
        try:
            protocol = self._protocol
            if protocol is None or protocol.closed:
                protocol = await self._connection()
            # Queued with no `await` in between, so no other request's command can
            # land between this MULTI and its EXEC on the shared connection.
            futures = [protocol.send(command) for command in _transaction_commands(commands)]
        except RedisError:
            count_redis_error(CLIENT_NAME)
            raise
        try:
            await futures[-1]  # replies arrive in order: every other one is in by now
        except RedisError:
            count_redis_error(CLIENT_NAME)
            raise
        finally:
            for future in futures[:-1]:
                if future.done() and not future.cancelled():
                    future.exception()  # a shared connection error is raised once, here
        return _transaction_result([future.result() for future in futures])

    def register_script(self, source: str) -> LoopScript:
        return LoopScript(self, source)

    async def set(self, key: Arg, value: Arg, ex: int | None = None, nx: bool = False) -> Any:
        """SET, answered as redis-py does: True when set, None when NX found the key there."""
        args: list[Arg] = ["SET", key, value]
        if ex is not None:
            args += ["EX", ex]
        if nx:
            args.append("NX")
        return True if await self.execute(*args) == b"OK" else None

    async def aclose(self) -> None:
        if self._protocol is not None:
            self._protocol.close(RedisConnectionError("client closed"))
        self._protocol = None

    # --- connecting -----------------------------------------------------------------

    async def _connection(self) -> _RedisProtocol:
        # Requests arriving while a connection is being opened wait for that one.
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
            connecting = self._connecting
            connecting.add_done_callback(lambda _f: setattr(self, "_connecting", None))
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> _RedisProtocol:
        loop = asyncio.get_running_loop()
        reply_timeout = self.reply_timeout

        def factory() -> _RedisProtocol:
            return _RedisProtocol(loop, reply_timeout)

        address = self.address
        try:
            if address.unix_path is not None:
                opening = loop.create_unix_connection(factory, address.unix_path)
            else:
                opening = loop.create_connection(factory, address.host, address.port)
            _transport, protocol = await asyncio.wait_for(opening, self.connect_timeout)
        except (TimeoutError, OSError) as exc:
            raise RedisConnectionError(f"Cannot connect to Redis: {exc!r}") from exc
        try:
            for command in address.setup_commands():
                await self._checked(protocol, *command)
        except BaseException as exc:
            protocol.close(RedisConnectionError(f"Redis refused the connection's set-up: {exc}"))
            raise
        self._protocol = protocol
        return protocol

    @staticmethod
    async def _checked(protocol: _RedisProtocol, *args: Arg) -> None:
        reply = await protocol.send(pack_command(args))
        if isinstance(reply, ResponseError):
            raise reply
