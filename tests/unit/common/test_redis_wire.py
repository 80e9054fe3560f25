"""common.redis_wire: the event loop's own Redis client, against a scripted fake server.

The fake server speaks just enough RESP to answer what a test scripts, or to
stall, so these run the same whether or not a Redis is configured, and a
stalled Redis needs no `SIGSTOP` of anything shared.
"""

from __future__ import annotations

import asyncio
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator

import hiredis
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.redis_wire import LoopRedis, pack_command, supports

# A reply for each command received (a list of bytes), or None to never answer.
Responder = Callable[[list[bytes]], bytes | None]


def echo_last(command: list[bytes]) -> bytes:
    """Answer every command with its last argument, as a bulk string."""
    last = command[-1]
    return b"$%d\r\n%s\r\n" % (len(last), last)


class FakeRedis:
    """A TCP server on a free port; records every command, answers with `responder`."""

    def __init__(self, responder: Responder) -> None:
        self.responder = responder
        self.commands: list[list[bytes]] = []
        self.connections = 0
        fake = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                fake.connections += 1
                reader = hiredis.Reader()
                while True:
                    try:
                        data = self.request.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    reader.feed(data)
                    while (command := reader.gets()) is not False:
                        fake.commands.append(command)
                        reply = fake.responder(command)
                        if reply is not None:
                            self.request.sendall(reply)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.server.server_address[1]}/0"

    def names(self) -> list[bytes]:
        return [command[0] for command in self.commands]


@pytest.fixture
def fake_redis() -> Iterator[Callable[[Responder], FakeRedis]]:
    started: list[FakeRedis] = []

    def start(responder: Responder) -> FakeRedis:
        fake = FakeRedis(responder)
        fake.thread.start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.server.shutdown()
        fake.server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_commands_are_packed_as_resp_arrays() -> None:
    assert pack_command(["SET", "k", b"v\r\n", 5]) == (
        b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv\r\n\r\n$1\r\n5\r\n"
    )


def test_only_plain_and_unix_urls_are_spoken_here() -> None:
    assert supports("redis://127.0.0.1:6379/2") and supports("unix:///run/redis.sock")
    assert not supports("rediss://cache.example:6380/0")  # TLS: redis-py's


# --- LoopRedis (asyncio) ---------------------------------------------------------------


def test_concurrent_commands_share_one_connection_and_get_their_own_replies(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    fake = fake_redis(echo_last)
    client = LoopRedis(fake.url, connect_timeout=1, reply_timeout=1)

    async def run() -> list[bytes]:
        return await asyncio.gather(*(client.execute("ECHO", f"n{i}") for i in range(50)))

    assert asyncio.run(run()) == [f"n{i}".encode() for i in range(50)]
    assert fake.connections == 1


def test_a_missing_script_is_sent_whole_once(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    def no_scripts_yet(command: list[bytes]) -> bytes:
        return b"-NOSCRIPT No matching script\r\n" if command[0] == b"EVALSHA" else b":7\r\n"

    fake = fake_redis(no_scripts_yet)
    client = LoopRedis(fake.url, connect_timeout=1, reply_timeout=1)
    script = client.register_script("return 7")
    assert asyncio.run(script(keys=["k"], args=[1])) == 7
    assert fake.names() == [b"EVALSHA", b"EVAL"]
    assert fake.commands[1][1:] == [b"return 7", b"1", b"k", b"1"]


def test_an_error_reply_is_raised_and_the_connection_kept(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    fake = fake_redis(lambda c: b"-ERR wrong\r\n" if c[0] == b"BAD" else b"+OK\r\n")
    client = LoopRedis(fake.url, connect_timeout=1, reply_timeout=1)

    async def run() -> object:
        with pytest.raises(ResponseError, match="wrong"):
            await client.execute("BAD")
        return await client.set("k", b"v", ex=5, nx=True)

    assert asyncio.run(run()) is True
    assert fake.commands[-1] == [b"SET", b"k", b"v", b"EX", b"5", b"NX"]
    assert fake.connections == 1


def test_a_password_and_a_database_are_sent_first(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    fake = fake_redis(lambda c: b"+OK\r\n")
    port = fake.server.server_address[1]
    client = LoopRedis(f"redis://me:s%40cret@127.0.0.1:{port}/3", connect_timeout=1,
                       reply_timeout=1)
    asyncio.run(client.execute("PING"))
    assert fake.commands == [[b"AUTH", b"me", b"s@cret"], [b"SELECT", b"3"], [b"PING"]]


def test_a_stalled_redis_fails_every_waiting_command_then_reconnects(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    stalled = threading.Event()
    stalled.set()
    fake = fake_redis(lambda c: None if stalled.is_set() else echo_last(c))
    client = LoopRedis(fake.url, connect_timeout=1, reply_timeout=0.3)

    async def run() -> tuple[list[object], float, bytes]:
        started = time.monotonic()
        results = await asyncio.gather(
            *(client.execute("ECHO", "x") for _ in range(5)), return_exceptions=True
        )
        waited = time.monotonic() - started
        stalled.clear()
        return results, waited, await client.execute("ECHO", "back")

    results, waited, after = asyncio.run(run())
    assert all(isinstance(r, RedisTimeoutError) for r in results), results
    assert waited < 2  # bounded by reply_timeout, not hanging
    assert after == b"back" and fake.connections == 2


def test_a_closed_port_is_a_connection_error() -> None:
    client = LoopRedis(f"redis://127.0.0.1:{closed_port()}/0", connect_timeout=1,
                       reply_timeout=1)
    with pytest.raises(RedisConnectionError):
        asyncio.run(client.execute("PING"))


# --- MULTI/EXEC -----------------------------------------------------------------------------


def transaction_server(command: list[bytes]) -> bytes:
    """MULTI/EXEC as Redis answers it: OK, QUEUED per command, then EXEC's array."""
    replies = {b"MULTI": b"+OK\r\n", b"EXEC": b"*2\r\n:3\r\n*2\r\n$1\r\nv\r\n$-1\r\n"}
    return replies.get(command[0], b"+QUEUED\r\n")


def test_a_transaction_is_one_write_and_answers_execs_replies(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    fake = fake_redis(transaction_server)
    commands = [("INCR", "c"), ("MGET", "a", "b")]
    client = LoopRedis(fake.url, connect_timeout=1, reply_timeout=1)
    assert asyncio.run(client.transaction(commands)) == [3, [b"v", None]]
    assert fake.names() == [b"MULTI", b"INCR", b"MGET", b"EXEC"]


def test_a_refused_transaction_raises(fake_redis: Callable[[Responder], FakeRedis]) -> None:
    def refuses(command: list[bytes]) -> bytes:
        if command[0] == b"EXEC":
            return b"-EXECABORT Transaction discarded\r\n"
        return b"-ERR unknown command\r\n" if command[0] == b"NOPE" else b"+OK\r\n"

    fake = fake_redis(refuses)
    client = LoopRedis(fake.url, connect_timeout=1, reply_timeout=1)
    with pytest.raises(ResponseError, match="unknown command"):
        asyncio.run(client.transaction([("NOPE",)]))
