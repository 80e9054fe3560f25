"""common.redis_hot: the cached read's MULTI/EXEC on redis-py's connections, against a fake server.

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
import redis
import redis.asyncio
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from common.redis_hot import ThreadConnections, atransaction
from common.redis_metrics import REDIS_ERRORS

# A reply for each command received (a list of bytes), or None to never answer.
Responder = Callable[[list[bytes]], bytes | None]

COMMANDS = [("INCR", "c"), ("MGET", "a", "b")]
TRANSACTION = [b"MULTI", b"INCR", b"MGET", b"EXEC"]


def transaction_server(command: list[bytes]) -> bytes:
    """MULTI/EXEC as Redis answers it: OK, QUEUED per command, then EXEC's array."""
    replies = {b"MULTI": b"+OK\r\n", b"EXEC": b"*2\r\n:3\r\n*2\r\n$1\r\nv\r\n$-1\r\n"}
    return replies.get(command[0], b"+QUEUED\r\n")


class _Server(socketserver.ThreadingTCPServer):
    request_queue_size = 64  # a burst of connections from one event loop


# What redis-py sends on connecting, and the answers it accepts.
GREETING = {b"HELLO": b"%1\r\n$5\r\nproto\r\n:3\r\n", b"CLIENT": b"+OK\r\n"}


class FakeRedis:
    """A TCP server on a free port; records every command, answers with `responder`.

    redis-py's greeting (HELLO 3, CLIENT SETINFO ...) is answered and not recorded.
    """

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
                        if command[0].upper() in GREETING:
                            self.request.sendall(GREETING[command[0].upper()])
                            continue
                        fake.commands.append(command)
                        reply = fake.responder(command)
                        if reply is not None:
                            self.request.sendall(reply)

        self.server = _Server(("127.0.0.1", 0), Handler)
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


def thread_connections(url: str, timeout: float = 1.0) -> ThreadConnections:
    return ThreadConnections(redis.ConnectionPool.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=1.0))


def async_client(url: str, timeout: float = 1.0) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=1.0)


def hot_read_errors() -> float:
    return REDIS_ERRORS.labels("hot-read")._value.get()


# --- Worker threads ---------------------------------------------------------------------


def test_a_transaction_answers_execs_replies(fake_redis: Callable[[Responder], FakeRedis]) -> None:
    fake = fake_redis(transaction_server)
    assert thread_connections(fake.url).transaction(COMMANDS) == [3, [b"v", None]]
    assert fake.names() == TRANSACTION


def test_each_thread_keeps_one_connection_of_its_own(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    fake = fake_redis(transaction_server)
    connections = thread_connections(fake.url)
    replies: dict[int, list[list[object]]] = {}

    def work(n: int) -> None:
        replies[n] = [connections.transaction(COMMANDS) for _ in range(20)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert replies == {n: [[3, [b"v", None]]] * 20 for n in range(4)}
    assert fake.connections == 4


def refuses_nope() -> Responder:
    """Refuses NOPE; EXEC after it is EXECABORT, as Redis answers."""
    refused = threading.Event()

    def responder(command: list[bytes]) -> bytes:
        if command[0] == b"NOPE":
            refused.set()
            return b"-ERR unknown command\r\n"
        if command[0] == b"EXEC" and refused.is_set():
            refused.clear()
            return b"-EXECABORT Transaction discarded\r\n"
        return transaction_server(command)

    return responder


def test_a_refused_command_raises_and_the_next_transaction_is_in_step(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    fake = fake_redis(refuses_nope())
    connections = thread_connections(fake.url)
    errors = hot_read_errors()
    with pytest.raises(ResponseError, match="unknown command"):
        connections.transaction([("NOPE",)])
    assert hot_read_errors() == errors + 1
    # The unread EXECABORT must not be taken for this transaction's reply.
    assert connections.transaction(COMMANDS) == [3, [b"v", None]]
    assert fake.connections == 2


def test_a_stalled_redis_times_out_and_the_next_transaction_reconnects(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    stalled = threading.Event()
    stalled.set()
    fake = fake_redis(lambda c: None if stalled.is_set() else transaction_server(c))
    connections = thread_connections(fake.url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(RedisTimeoutError):
        connections.transaction(COMMANDS)
    assert time.monotonic() - started < 2
    stalled.clear()
    assert connections.transaction(COMMANDS) == [3, [b"v", None]]
    assert fake.connections == 2


def test_a_connection_redis_closed_is_made_again_in_the_same_call(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    """A restart (or, behind Sentinel, a demoted master) costs no failed read."""
    drop_next = threading.Event()

    def closes_once(command: list[bytes]) -> bytes | None:
        if drop_next.is_set():
            drop_next.clear()
            raise ConnectionResetError("the server closes this connection")
        return transaction_server(command)

    fake = fake_redis(closes_once)
    connections = thread_connections(fake.url)
    assert connections.transaction(COMMANDS) == [3, [b"v", None]]
    errors = hot_read_errors()
    drop_next.set()

    assert connections.transaction(COMMANDS) == [3, [b"v", None]]
    assert hot_read_errors() == errors
    assert fake.connections == 2


def test_a_closed_port_is_a_connection_error() -> None:
    with pytest.raises(RedisConnectionError):
        thread_connections(f"redis://127.0.0.1:{closed_port()}/0").transaction(COMMANDS)


# --- The event loop ---------------------------------------------------------------------------


def test_concurrent_transactions_on_the_loop_get_their_own_replies(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    counter = iter(range(1, 1000))
    lock = threading.Lock()

    def numbered(command: list[bytes]) -> bytes:
        if command[0] == b"EXEC":
            with lock:
                n = next(counter)
            return b"*2\r\n:%d\r\n*1\r\n$-1\r\n" % n
        return transaction_server(command)

    fake = fake_redis(numbered)

    async def main() -> list[list[object]]:
        client = async_client(fake.url)
        try:
            return list(await asyncio.gather(*(atransaction(client, COMMANDS)
                                               for _ in range(20))))
        finally:
            await client.aclose()

    replies = asyncio.run(main())
    assert sorted(int(str(reply[0])) for reply in replies) == list(range(1, 21))
    assert all(reply[1] == [None] for reply in replies)


def test_a_refused_command_on_the_loop_raises_and_leaves_the_pool_in_step(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    fake = fake_redis(refuses_nope())

    async def main() -> list[object]:
        client = async_client(fake.url)
        try:
            with pytest.raises(ResponseError, match="unknown command"):
                await atransaction(client, [("NOPE",)])
            return await atransaction(client, COMMANDS)
        finally:
            await client.aclose()

    assert asyncio.run(main()) == [3, [b"v", None]]


def test_a_stalled_redis_times_out_on_the_loop(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    stalled = threading.Event()
    stalled.set()
    fake = fake_redis(lambda c: None if stalled.is_set() else transaction_server(c))

    async def main() -> list[object]:
        client = async_client(fake.url, timeout=0.3)
        try:
            started = time.monotonic()
            with pytest.raises(RedisTimeoutError):
                await atransaction(client, COMMANDS)
            assert time.monotonic() - started < 2
            stalled.clear()
            return await atransaction(client, COMMANDS)
        finally:
            await client.aclose()

    assert asyncio.run(main()) == [3, [b"v", None]]


def test_a_closed_port_is_a_connection_error_on_the_loop() -> None:
    async def main() -> None:
        client = async_client(f"redis://127.0.0.1:{closed_port()}/0")
        try:
            await atransaction(client, COMMANDS)
        finally:
            await client.aclose()

    with pytest.raises(RedisConnectionError):
        asyncio.run(main())


def test_a_cancelled_transaction_on_the_loop_leaves_no_reply_for_the_next(
    fake_redis: Callable[[Responder], FakeRedis],
) -> None:
    """A request cancelled mid-exchange (its client went away) must not hand its
    late replies to the next request that takes the connection from the pool.

    redis-py's `read_response` drops the connection on any interruption,
    cancellation included; this holds `atransaction` to it.
    """
    execs: list[int] = []

    def late_first_exec(command: list[bytes]) -> bytes:
        if command[0] != b"EXEC":
            return transaction_server(command)
        execs.append(1)
        if len(execs) == 1:
            time.sleep(0.3)  # answered after the caller has given up
            return b"*2\r\n:1\r\n*2\r\n$3\r\nold\r\n$-1\r\n"
        return transaction_server(command)

    fake = fake_redis(late_first_exec)

    async def main() -> list[object]:
        client = async_client(fake.url)
        try:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(atransaction(client, COMMANDS), timeout=0.1)
            await asyncio.sleep(0.4)  # the late replies have arrived by now
            return await atransaction(client, COMMANDS)
        finally:
            await client.aclose()

    assert asyncio.run(main()) == [3, [b"v", None]]
