"""The protocol edge against the server as shipped, through a real socket (issue 22).

The server is `config.serving.server_command` (what `dev.py serve` and the
systemd unit run: uvicorn with common/asgi/http_protocol.py), started once
for the module. Every request is written as raw bytes, at every prefix:

- media types are compared without case: the form field cap holds for
  `APPLICATION/X-WWW-FORM-URLENCODED` (a 500 from Django before);
- a chunked body's trailer never becomes a header: an `Authorization` or a
  `Host` sent there is ignored, whether it arrives with the head or later;
- `Expect: 100-continue` gets the final answer, never `100 Continue`, when
  the edge can refuse before the body (401 without credentials on a book
  write, 413 by Content-Length);
- bodies in flight are bounded across connections: past
  MAX_BODY_BYTES_IN_FLIGHT a new body gets 503 + Retry-After before it is read;
- `/health` is liveness, `/ready` readiness, answered in time while the
  database pool is busy; on SIGTERM the process drains before it exits;
- a connection that sends no head, or trickles one, is closed; a request
  uvicorn cannot parse gets the envelope.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection

from common.asgi.http_protocol import HEAD_TIMEOUT_S
from config.serving import server_command
from tests.contract.conftest import PASSWORD, Account
from tests.support.network import free_port
from tests.support.processes import process_env

PREFIXES = ("/api/drf", "/api/fastapi", "/api/flask")
IN_FLIGHT_LIMIT = 3 * 1_048_576  # three bodies of MAX_BODY_BYTES


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    raw_head: bytes

    def json(self) -> dict[str, object]:
        return json.loads(self.body)

    def error_code(self) -> str:
        error = self.json()["error"]
        assert isinstance(error, dict)
        return str(error["code"])


def read_answer(sock: socket.socket) -> Answer:
    """One response from `sock` (interim 1xx answers included in raw_head, skipped)."""
    data = b""
    while True:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"closed before a head: {data!r}")
            data += chunk
        head, data = data.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 1"):
            break
        raise AssertionError(f"an interim answer was sent: {head!r}")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(data) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return Answer(int(lines[0].split()[1]), headers, data[:length], head)


def exchange(port: int, *parts: bytes, pause_s: float = 0.0) -> Answer:
    """Send `parts` (pausing between them), then read one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for index, part in enumerate(parts):
            if index and pause_s:
                time.sleep(pause_s)
            sock.sendall(part)
        return read_answer(sock)


def head(method: str, path: str, *lines: str) -> bytes:
    return ("\r\n".join([f"{method} {path} HTTP/1.1", "Host: localhost", *lines])
            + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class ShippedServer:
    """`server_command` on a free port, with this run's database and cache."""

    def __init__(self, extra_env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = process_env(extra_env)
        env.pop("FORWARDED_ALLOW_IPS", None)
        command = server_command(sys.executable, host="127.0.0.1", port=self.port)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.base_url}/ready", timeout=3).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not get ready:\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)


@pytest.fixture(scope="module")
def server(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ShippedServer]:
    log = tmp_path_factory.mktemp("edge-hardening") / "server.log"
    running = ShippedServer(
        {"MAX_BODY_BYTES_IN_FLIGHT": str(IN_FLIGHT_LIMIT), "BODY_TIMEOUT": "5",
         "DB_POOL_MAX_SIZE": "2", "DB_POOL_TIMEOUT": "5"},
        log,
    )
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server process knows Argon2, not the tests' MD5."""


@pytest.fixture
def token(server: ShippedServer, make_user: Callable[..., Account]) -> str:
    make_user("trailer", password=PASSWORD)
    response = httpx.post(
        f"{server.base_url}/api/fastapi/auth/token",
        data={"username": "trailer", "password": PASSWORD}, timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


# --- media types without case ------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(
    "content_type",
    ["APPLICATION/X-WWW-FORM-URLENCODED", "Application/x-www-form-urlencoded; charset=UTF-8"],
)
def test_the_form_field_cap_holds_whatever_the_case_of_the_media_type(
    server: ShippedServer, prefix: str, content_type: str, transactional_db: None
) -> None:
    body = "&".join(["a=1"] * 1004).encode()
    answer = exchange(server.port, head(
        "POST", f"{prefix}/auth/token", f"Content-Type: {content_type}",
        f"Content-Length: {len(body)}",
    ) + body)
    assert answer.status == 400, answer.body
    assert answer.error_code() == "bad_request"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_json_body_is_json_whatever_the_case_of_its_media_type(
    server: ShippedServer, prefix: str, transactional_db: None
) -> None:
    name = f"case{prefix.rsplit('/', 1)[1]}"
    body = json.dumps(
        {"username": name, "email": f"{name}@example.com", "password": "Quartz-Lantern-77"}
    ).encode()
    answer = exchange(server.port, head(
        "POST", f"{prefix}/auth/register", "Content-Type: APPLICATION/JSON; Charset=UTF-8",
        f"Content-Length: {len(body)}",
    ) + body)
    assert answer.status == 201, answer.body


# --- trailers are not headers --------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("trailer_later", [False, True], ids=["with-the-head", "later"])
def test_an_authorization_sent_in_a_trailer_is_ignored(
    server: ShippedServer, prefix: str, token: str, trailer_later: bool
) -> None:
    from books.models import Book

    book = json.dumps({"title": "Trailer", "author": "T. Railer", "year": 2001}).encode()
    # A request id of the client's own: the edge then keeps the server's header list as is.
    start = head(
        "POST", f"{prefix}/books", "Content-Type: application/json", "X-Request-ID: trailer-1",
        "Transfer-Encoding: chunked", "Trailer: Authorization",
    ) + chunk(book)
    trailer = f"0\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    parts = (start, trailer) if trailer_later else (start + trailer,)

    answer = exchange(server.port, *parts, pause_s=0.3)

    assert answer.status == 401, answer.body
    assert answer.error_code() == "not_authenticated"
    assert not Book.objects.filter(title="Trailer").exists()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_host_sent_in_a_trailer_is_ignored(
    server: ShippedServer, prefix: str, transactional_db: None
) -> None:
    answer = exchange(server.port, head(
        "GET", f"{prefix}/books?page_size=1", "Transfer-Encoding: chunked",
    ) + b"0\r\nHost: evil.example.net\r\n\r\n")

    assert answer.status == 200, answer.body
    assert b"evil" not in answer.body
    assert str(answer.json()["links"]).count("http://localhost/") >= 1  # type: ignore[union-attr]


# --- Expect: 100-continue ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_write_without_credentials_is_refused_before_100_continue(
    server: ShippedServer, prefix: str, transactional_db: None
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head(
            "POST", f"{prefix}/books", "Content-Type: application/json",
            "Content-Length: 1000000", "Expect: 100-continue",
        ))
        answer = read_answer(sock)  # no body sent: the answer comes first, or never
    assert answer.status == 401
    assert answer.error_code() == "not_authenticated"
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["connection"] == "close"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_body_too_large_is_refused_before_100_continue(
    server: ShippedServer, prefix: str, transactional_db: None
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head(
            "POST", f"{prefix}/auth/register", "Content-Type: application/json",
            f"Content-Length: {settings.MAX_BODY_BYTES + 1}", "Expect: 100-continue",
        ))
        answer = read_answer(sock)
    assert answer.status == 413
    assert answer.error_code() == "payload_too_large"


def test_a_body_the_edge_cannot_refuse_gets_100_continue(
    server: ShippedServer, transactional_db: None
) -> None:
    """Control: with credentials (a bad token) the body is asked for, then judged."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        body = b'{"title": "x"}'
        sock.sendall(head(
            "POST", "/api/flask/books", "Content-Type: application/json",
            "Authorization: Bearer not-a-token", f"Content-Length: {len(body)}",
            "Expect: 100-continue",
        ))
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(body)
        answer = read_answer(sock)
    assert answer.status == 401
    assert answer.error_code() == "invalid_token"


# --- bodies in flight ----------------------------------------------------------------------


def test_bodies_in_flight_are_bounded_across_connections(
    server: ShippedServer, transactional_db: None
) -> None:
    declared = settings.MAX_BODY_BYTES  # each staller holds a whole body's reservation
    stallers = []
    try:
        for index in range(IN_FLIGHT_LIMIT // declared):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(head(
                "POST", f"{PREFIXES[index % 3]}/auth/register",
                "Content-Type: application/json", f"Content-Length: {declared}",
            ) + b'{"username": ')
            stallers.append(sock)
        time.sleep(0.5)  # every staller's head is read and its reservation made
        for prefix in PREFIXES:
            started = time.monotonic()
            answer = exchange(server.port, head(
                "POST", f"{prefix}/auth/register", "Content-Type: application/json",
                "Content-Length: 2",
            ) + b"{}")
            assert answer.status == 503, answer.body
            assert answer.error_code() == "service_unavailable"
            assert int(answer.headers["retry-after"]) >= 1
            assert time.monotonic() - started < 2
            # A request without a body is not held up.
            assert exchange(server.port, head("GET", f"{prefix}/books")).status == 200
    finally:
        for sock in stallers:
            sock.close()
    time.sleep(0.5)  # the server sees the disconnects and gives the bytes back
    answer = exchange(server.port, head(
        "POST", "/api/flask/auth/register", "Content-Type: application/json",
        "Content-Length: 2",
    ) + b"{}")
    assert answer.status == 422, answer.body


# --- liveness and readiness ---------------------------------------------------------------


def test_health_is_liveness_and_ready_names_the_checks(
    server: ShippedServer, transactional_db: None
) -> None:
    live = httpx.get(f"{server.base_url}/health", timeout=5)
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = httpx.get(f"{server.base_url}/ready", timeout=5)
    expected = {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
    assert ready.status_code == 200 and ready.json() == expected
    for prefix in PREFIXES:
        assert httpx.get(f"{server.base_url}{prefix}/health", timeout=5).json() == expected


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the database pool is PostgreSQL's",
)
def test_ready_answers_in_time_while_the_database_pool_is_busy(
    server: ShippedServer, transactional_db: None
) -> None:
    """Every pooled connection (DB_POOL_MAX_SIZE=2) waits on a table lock held here."""
    from books.models import Book

    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute(f"LOCK TABLE {Book._meta.db_table} IN ACCESS EXCLUSIVE MODE")
        blocked: list[int] = []

        def read(index: int) -> None:
            try:
                response = httpx.get(
                    f"{server.base_url}{PREFIXES[index % 3]}/books",
                    params={"search": f"busy{index}"}, timeout=30,
                )
                blocked.append(response.status_code)
            except httpx.HTTPError:
                blocked.append(0)

        readers = [threading.Thread(target=read, args=(n,)) for n in range(6)]
        for thread in readers:
            thread.start()
        time.sleep(1.0)  # the pool is out: two readers hold it, the rest wait
        try:
            started = time.monotonic()
            ready = httpx.get(f"{server.base_url}/ready", timeout=10)
            ready_s = time.monotonic() - started
            live = httpx.get(f"{server.base_url}/health", timeout=10)
        finally:
            cursor.execute("ROLLBACK")
    for thread in readers:
        thread.join(timeout=30)

    assert ready.status_code == 200, ready.text
    assert ready_s < 2.0, ready_s
    assert live.status_code == 200
    assert blocked  # the readers really went to the database


def test_sigterm_fails_ready_and_keeps_serving_for_the_drain(
    django_db_setup: None, tmp_path: Path, transactional_db: None
) -> None:
    """Then the listener closes, and a request already sent on an open connection is answered.

    nginx keeps idle connections to the process and may send a request on one
    just as the process stops: it must get its answer (`Connection: close`),
    never a reset, which nginx cannot resend for a POST.
    """
    drained = ShippedServer({"SHUTDOWN_DRAIN_SECONDS": "2"}, tmp_path / "server.log")
    request = b"GET /api/drf/books HTTP/1.1\r\nHost: localhost\r\n\r\n"
    try:
        kept = socket.create_connection(("127.0.0.1", drained.port), timeout=10)
        kept.sendall(request)
        before = read_answer(kept)
        signalled = time.monotonic()
        drained.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        ready = httpx.get(f"{drained.base_url}/ready", timeout=5)
        live = httpx.get(f"{drained.base_url}/health", timeout=5)
        books = [httpx.get(f"{drained.base_url}{p}/books", timeout=5) for p in PREFIXES]
        time.sleep(2.0 + 0.5 - (time.monotonic() - signalled))  # the drain is over
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", drained.port), timeout=5).close()
        kept.sendall(request)  # on the connection opened before: still answered
        last = read_answer(kept)
        kept.close()
        drained.process.wait(timeout=30)
        exited_s = time.monotonic() - signalled
    finally:
        drained.stop()

    assert before.status == 200 and before.headers.get("connection") != "close"
    assert ready.status_code == 503 and ready.json()["status"] == "draining"
    assert live.status_code == 200
    assert all(response.status_code == 200 for response in books)
    assert last.status == 200 and last.headers["connection"] == "close"
    assert 2.0 <= exited_s < 15, exited_s


# --- the connection itself --------------------------------------------------------------------


def _closed_by_server(sock: socket.socket) -> bool:
    """EOF, or a reset (what a write after the server's close earns): nothing was answered."""
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


def test_idle_and_slow_heads_are_closed(server: ShippedServer) -> None:
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=HEAD_TIMEOUT_S + 10) as idle,
        socket.create_connection(("127.0.0.1", server.port), timeout=HEAD_TIMEOUT_S + 10) as slow,
    ):
        slow.sendall(b"GET /api/flask/books HTTP/1.1\r\n")
        started = time.monotonic()
        for _ in range(int(HEAD_TIMEOUT_S) + 3):
            try:
                slow.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
            time.sleep(1)
        assert _closed_by_server(slow)
        assert _closed_by_server(idle)
        assert time.monotonic() - started < HEAD_TIMEOUT_S + 5


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /api/drf/books HTTP/1.1\r\nHost: localhost\r\nX-A: a\x01b\r\n\r\n",
        b"GET /api/fastapi/bo\x7fks HTTP/1.1\r\nHost: localhost\r\n\r\n",
        b"GET /api/flask/books HTTP/1.x\r\nHost: localhost\r\n\r\n",
    ],
    ids=["control-byte-in-header", "del-in-target", "bad-version"],
)
def test_an_unparsable_request_gets_the_envelope(
    server: ShippedServer, request_bytes: bytes
) -> None:
    answer = exchange(server.port, request_bytes)
    assert answer.status == 400
    assert answer.error_code() == "bad_request"
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-request-id"]


def test_a_head_past_the_connection_bound_is_431(server: ShippedServer) -> None:
    padding = "".join(f"X-Pad-{n}: {'a' * 1000}\r\n" for n in range(80))  # 80 KB
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /api/flask/books HTTP/1.1\r\nHost: localhost\r\n" + padding.encode())
        answer = read_answer(sock)  # the head is not even finished
    assert answer.status == 431
    assert answer.error_code() == "headers_too_large"
