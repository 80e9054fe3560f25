"""The protocol edge against a real server, through a real socket (issue 13, findings 1-8).

Each request is written as raw bytes where an HTTP client library would tidy
it (two Host lines, two Authorization headers, huge headers, `%0A` in a
path, a trickled body), and every prefix must answer it alike, in the
envelope, from the edge (common/asgi/edge.py).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.conftest import Account
from tests.support.processes import UvicornServer

PREFIXES = ("/api/drf", "/api/fastapi", "/api/flask")


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def error_code(self) -> str:
        return json.loads(self.body)["error"]["code"]


def _read_answer(sock: socket.socket) -> Answer:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the head: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, value = line.split(":", 1)
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    length = int(headers.get("content-length", ["0"])[0])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Answer(status, headers, body)


def raw(port: int, request: bytes, *, timeout: float = 10) -> Answer:
    """Send `request` as is; the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        return _read_answer(sock)


def request_bytes(method: str, path: str, *lines: str, body: bytes = b"") -> bytes:
    head = [f"{method} {path} HTTP/1.1", *lines]
    if body:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


# Each test runs in its own committed transaction (the servers read what it writes).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup: None, django_db_blocker: Any) -> Iterator[UvicornServer]:
    """One server for the module: a proxy it does not trust, /metrics for another address."""
    with django_db_blocker.unblock(), UvicornServer(extra_env={
        "BODY_TIMEOUT": "2", "TRUSTED_PROXIES": "10.9.9.9", "METRICS_ALLOWED_IPS": "10.1.1.1",
    }) as running:
        yield running


@pytest.fixture(scope="module")
def proxied_mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("proxied-mail")


@pytest.fixture(scope="module")
def proxied(
    django_db_setup: None, django_db_blocker: Any, proxied_mail_dir: Path
) -> Iterator[UvicornServer]:
    """One server behind a trusted TLS proxy (127.0.0.1), mailing to files."""
    with django_db_blocker.unblock(), UvicornServer(extra_env={
        "TRUSTED_PROXIES": "127.0.0.1", "EMAIL_URL": f"file://{proxied_mail_dir}",
        "ALLOWED_HOSTS": "localhost,127.0.0.1,books.example",
    }) as running:
        yield running


# --- 1. parameter count -------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_more_than_max_query_params_is_400_at_every_prefix(
    server: UvicornServer, prefix: str
) -> None:
    query = "&".join(["a="] * 1001)
    answer = raw(server.port, request_bytes("GET", f"{prefix}/books?{query}", "Host: localhost"))
    assert answer.status == 400
    assert answer.error_code() == "bad_request"
    # 1000 is still fine: the limit is MAX_QUERY_PARAMS, not one less.
    query = "&".join(["a="] * 1000)
    answer = raw(server.port, request_bytes("GET", f"{prefix}/books?{query}", "Host: localhost"))
    assert answer.status == 200


@pytest.mark.parametrize("prefix", PREFIXES)
def test_more_than_max_form_fields_at_the_token_endpoint_is_400(
    server: UvicornServer, prefix: str
) -> None:
    body = "&".join(["a=1"] * 1001).encode()
    answer = raw(server.port, request_bytes(
        "POST", f"{prefix}/auth/token", "Host: localhost",
        "Content-Type: application/x-www-form-urlencoded", body=body,
    ))
    assert answer.status == 400
    assert answer.error_code() == "bad_request"


# --- 2. slow bodies -------------------------------------------------------------------


def _trickle(port: int, path: str, answers: list[Answer | Exception]) -> None:
    body = b'{"username": "slowpoke", "email": "s@x.io", "password": "P4ssw0rd!!"}'
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(request_bytes(
                "POST", path, "Host: localhost", "Content-Type: application/json",
                f"Content-Length: {len(body)}",
            ))
            for index in range(len(body) - 1):  # never the last byte
                try:
                    sock.sendall(body[index:index + 1])
                except OSError:
                    break  # the server answered and closed
                time.sleep(0.4)
                if index > 10:
                    break
            answers.append(_read_answer(sock))
    except Exception as exc:  # noqa: BLE001  (reported by the test)
        answers.append(exc)


def test_trickling_bodies_do_not_stall_drf_and_flask(server: UvicornServer) -> None:
    answers: list[Answer | Exception] = []
    threads = [
        threading.Thread(
            target=_trickle,
            args=(server.port, f"{('/api/flask', '/api/drf')[i % 2]}/auth/register", answers),
        )
        for i in range(24)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # every socket is now trickling
    for prefix in ("/api/flask", "/api/drf"):
        started = time.monotonic()
        response = httpx.get(f"{server.base_url}{prefix}/health", timeout=30)
        assert response.status_code == 200
        assert time.monotonic() - started < 2.0, f"{prefix}/health stalled"
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 24
    for answer in answers:
        assert isinstance(answer, Answer), answer
        assert answer.status == 408
        assert answer.error_code() == "request_timeout"


# --- 3. header size -------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_headers_over_max_header_bytes_are_431(server: UvicornServer, prefix: str) -> None:
    answer = raw(server.port, request_bytes(
        "GET", f"{prefix}/health", "Host: localhost", "X-Padding: " + "x" * 20_000,
    ))
    assert answer.status == 431
    assert answer.error_code() == "headers_too_large"


# --- 4. X-Forwarded-Proto ------------------------------------------------------------------


def _self_link(port: int, prefix: str, *lines: str) -> str:
    answer = raw(port, request_bytes("GET", f"{prefix}/books?page_size=1", "Host: localhost",
                                     *lines))
    assert answer.status == 200, answer.body
    return json.loads(answer.body)["links"]["self"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_forwarded_proto_from_an_untrusted_peer_is_ignored(
    server: UvicornServer, prefix: str
) -> None:
    """TRUSTED_PROXIES=10.9.9.9; this client is 127.0.0.1."""
    link = _self_link(server.port, prefix, "X-Forwarded-Proto: https")
    assert link.startswith(f"http://localhost{prefix}/books")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_forwarded_proto_from_a_trusted_proxy_is_believed_everywhere(
    proxied: UvicornServer, prefix: str
) -> None:
    link = _self_link(proxied.port, prefix, "X-Forwarded-Proto: https",
                      "X-Forwarded-For: 203.0.113.9")
    assert link.startswith(f"https://localhost{prefix}/books")


# --- 5. two Host lines ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_two_host_lines_are_400_in_the_envelope(server: UvicornServer, prefix: str) -> None:
    answer = raw(server.port, request_bytes(
        "GET", f"{prefix}/books", "Host: localhost", "Host: evil.example",
    ))
    assert answer.status == 400
    assert answer.error_code() == "bad_request"
    assert answer.header("content-type") == "application/json"


# --- 6. two Authorization headers ------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_two_authorization_headers_are_401_invalid_token(
    server: UvicornServer, prefix: str
) -> None:
    """The same valid token twice, or a valid one then garbage: refused alike everywhere."""
    username, password = "twice", "Tw1ce-Pass-Word!"
    registered = httpx.post(f"{server.base_url}{prefix}/auth/register", timeout=10, json={
        "username": username, "email": "twice@example.com", "password": password,
    })
    assert registered.status_code == 201, registered.text
    issued = httpx.post(f"{server.base_url}{prefix}/auth/token", timeout=10, data={
        "grant_type": "password", "username": username, "password": password,
    })
    assert issued.status_code == 200, issued.text
    valid = f"Authorization: Bearer {issued.json()['access_token']}"
    for second in (valid, "Authorization: Bearer garbage"):
        answer = raw(server.port, request_bytes(
            "GET", f"{prefix}/auth/me", "Host: localhost", valid, second,
        ))
        assert answer.status == 401, answer.body
        assert answer.error_code() == "invalid_token"
        assert 'error="invalid_token"' in (answer.header("www-authenticate") or "")


# --- 7. odd paths -------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/api/drf/books/1%0A", "/api/fastapi/books/1%0A", "/api/flask/books/1%0A",
    "/api/fastpi/books", "/api/nothing", "/api",
])
@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_odd_paths_under_api_are_404_in_the_envelope(
    server: UvicornServer, path: str, method: str
) -> None:
    answer = raw(server.port, request_bytes(
        method, path, "Host: localhost", "Content-Type: application/json", body=b"{}",
    ))
    assert answer.status == 404, answer.body
    assert answer.error_code() == "not_found"


ODD_IDS = ["1%0A", "1%00", "1%09", "1%20", "%201", "+1", "%D9%A1", "1.0", "-1", "1;x", "1%2F2"]


def test_an_odd_id_gets_the_same_answer_at_every_prefix(server: UvicornServer) -> None:
    for odd in ODD_IDS:
        for method in ("GET", "DELETE"):
            answers = {
                prefix: raw(server.port, request_bytes(method, f"{prefix}/books/{odd}",
                                                       "Host: localhost"))
                for prefix in PREFIXES
            }
            seen = {(answer.status, answer.error_code()) for answer in answers.values()}
            assert seen == {(404, "not_found")}, (method, odd, seen)


# --- 8. small tells -------------------------------------------------------------------------


def test_metrics_answer_only_metrics_allowed_ips(server: UvicornServer) -> None:
    answer = raw(server.port, request_bytes("GET", "/metrics", "Host: localhost"))
    assert answer.status == 404
    assert answer.error_code() == "not_found"


@pytest.mark.parametrize("path", ["/", "/health", "/compare"])
def test_pages_refuse_trace(server: UvicornServer, path: str) -> None:
    answer = raw(server.port, request_bytes("TRACE", path, "Host: localhost"))
    assert answer.status == 405
    assert answer.error_code() == "method_not_allowed"
    assert answer.header("allow") == "GET, HEAD"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_head_answers_like_get_without_a_body(server: UvicornServer, prefix: str) -> None:
    get = raw(server.port, request_bytes("GET", f"{prefix}/health", "Host: localhost"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_bytes("HEAD", f"{prefix}/health", "Host: localhost"))
        time.sleep(0.5)
        data = sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split()[1] == b"200", head
    assert body == b""
    assert get.status == 200


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_reset_link_mailed_behind_a_tls_proxy_is_https(
    make_user: Callable[..., Account], proxied: UvicornServer, proxied_mail_dir: Path,
    prefix: str,
) -> None:
    for earlier in proxied_mail_dir.iterdir():  # another prefix's case
        earlier.unlink()
    account = make_user("proxied")
    body = json.dumps({"email": account.email}).encode()
    answer = raw(proxied.port, request_bytes(
        "POST", f"{prefix}/auth/password-reset", "Host: books.example",
        "X-Forwarded-Proto: https", "X-Forwarded-For: 203.0.113.9",
        "Content-Type: application/json", body=body,
    ))
    assert answer.status == 202, answer.body
    deadline = time.monotonic() + 20
    while not list(proxied_mail_dir.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.2)  # a file appears before its last write
    mails = [path.read_text() for path in proxied_mail_dir.iterdir()]
    assert len(mails) == 1
    assert "https://books.example/password-reset/" in mails[0]
    assert "http://" not in mails[0].replace("https://", "")
