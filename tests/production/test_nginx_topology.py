"""The production topology, tested: the shipped nginx site in front of two app processes.

nginx (deploy/nginx/books-api.conf) terminates TLS on a free loopback port
with a certificate made now, and spreads requests over two uvicorn processes
started from deploy/systemd/books-api@.service (TRUSTED_PROXIES=127.0.0.1,
--no-proxy-headers), on PostgreSQL and this run's cache (Redis in CI).
Every request below goes through nginx over https, as a client's would:

- the absolute URLs the API writes (pagination links, `Location`, the
  password-reset email) say https at every prefix;
- a client's own X-Forwarded-For is thrown away by nginx; the address nginx
  saw is the one rate limits count;
- one rate budget across the two processes;
- nginx's own refusals (header too large, body too large, two Host lines, a
  malformed request line, TRACE, HTTP/2.0, a 16 KiB URI, no app process
  left) answer in the API's JSON envelope with the security headers and a
  request id; a stalled body is cut at client_body_timeout without ever
  reaching the app; port 80 redirects only to the configured name;
- with one app process killed mid-load, GETs keep answering 200;
- a rolling restart of both processes (as systemd does it) under load fails
  no request and loses no write.

Skipped unless DATABASE_URL is PostgreSQL: the topology is production's, and
`.ci/run` runs it on PostgreSQL + Redis.
"""

from __future__ import annotations

import email
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import Message

import httpx
import pytest
from django.conf import settings

from common.errors import HeadersTooLarge, PayloadTooLarge, ServiceUnavailable
from tests.contract.conftest import PASSWORD, PREFIXES
from tests.production.topology import TEST_CLIENT_BODY_TIMEOUT_S, Topology

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="the production topology runs on PostgreSQL: set DATABASE_URL=postgres://...",
)

PING_BUDGET = 5  # RL_DEMO_PING for these processes: five pings per client per hour
ENV = {
    "RL_DEMO_PING": f"{PING_BUDGET}/hour",
    # Ordinary endpoints: roomy, so only the demo ping's budget is ever spent up.
    "RATE_LIMIT_ANON": "10000/minute",
    "RATE_LIMIT_USER": "10000/minute",
}


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the app processes know Argon2, not the tests' MD5."""


@pytest.fixture(scope="module")
def topology(django_db_setup: None) -> Iterator[Topology]:
    """One topology for the module; the test database exists (django_db_setup) before it starts."""
    with Topology(extra_env=ENV) as running:
        yield running


@pytest.fixture
def make_user(transactional_db: None) -> Callable[[str], str]:
    """Create a user (real password hash); answers the email address."""

    def make(username: str) -> str:
        from accounts.models import User

        address = f"{username}@example.com"
        User.objects.create_user(username=username, email=address, password=PASSWORD)
        return address

    return make


def error_code(response: httpx.Response) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["message"], body
    return body["error"]["code"]


# --- https links through the proxy ------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_pagination_links_are_https(
    topology: Topology, prefix: str, transactional_db: None
) -> None:
    from accounts.models import User
    from books.models import Book

    owner = User.objects.create_user(username="owner", email="o@example.com", password=PASSWORD)
    for number in range(3):
        Book.objects.create(title=f"Book {number}", author="A. Author", year=2000,
                            created_by=owner)

    with topology.client() as client:
        response = client.get(f"{prefix}/books", params={"page_size": 1})

    assert response.status_code == 200, response.text
    links = response.json()["links"]
    expected = f"{topology.base_url}{prefix}/books?"
    assert links["self"].startswith(expected), links
    assert links["next"].startswith(expected), links


@pytest.mark.parametrize("prefix", PREFIXES)
def test_location_of_a_created_book_is_https(
    topology: Topology, prefix: str, make_user: Callable[[str], str]
) -> None:
    make_user("writer")
    with topology.client() as client:
        token = client.post(
            f"{prefix}/auth/token",
            data={"grant_type": "password", "username": "writer", "password": PASSWORD},
        )
        assert token.status_code == 200, token.text
        created = client.post(
            f"{prefix}/books",
            json={"title": "Dune", "author": "Frank Herbert", "year": 1965},
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        )

    assert created.status_code == 201, created.text
    book_id = created.json()["data"]["id"]
    assert created.headers["location"] == f"{topology.base_url}{prefix}/books/{book_id}"


def _mailed_texts(directory: str) -> list[str]:
    """The text of every message Django's file backend wrote to `directory`."""
    texts = []
    for path in sorted(os.scandir(directory), key=lambda entry: entry.name):
        with open(path.path, encoding="utf-8") as handle:
            raw = handle.read()
        for chunk in raw.split("-" * 79):
            if not chunk.strip():
                continue
            message: Message = email.message_from_string(chunk.lstrip("\n"))
            for part in message.walk():
                if part.get_content_type() == "text/plain":
                    payload = part.get_payload(decode=True)
                    assert isinstance(payload, bytes)
                    texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return texts


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_password_reset_email_links_to_https(
    topology: Topology, prefix: str, make_user: Callable[[str], str]
) -> None:
    for path in topology.mail_dir.iterdir():
        path.unlink()
    address = make_user("forgetful")

    with topology.client() as client:
        response = client.post(f"{prefix}/auth/password-reset", json={"email": address})
    assert response.status_code == 202, response.text

    # The mail is sent by a background thread of the app process: wait for it.
    deadline = time.monotonic() + 20
    links: list[str] = []
    while not links and time.monotonic() < deadline:
        links = [
            link
            for text in _mailed_texts(str(topology.mail_dir))
            for link in re.findall(r"\S+://\S*/password-reset/\S+", text)
        ]
        time.sleep(0.1)
    assert links, "no password-reset email was written"
    assert all(link.startswith("https://127.0.0.1") for link in links), links


@pytest.mark.parametrize("host", ["127.0.0.1", "evil.example.net"])
def test_plain_http_only_redirects_to_the_configured_name(
    topology: Topology, host: str, transactional_db: None
) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{topology.http_port}/api/drf/books?page=2", headers={"Host": host}
    )

    assert response.status_code == 301
    # The site's server_name, never what Host said (no open redirect).
    assert response.headers["location"] == "https://api.example.org/api/drf/books?page=2"


# --- who the client is ----------------------------------------------------------------------


def _ping(client: httpx.Client, index: int, headers: dict[str, str] | None = None) -> int:
    return client.get(f"{PREFIXES[index % 3]}/rl-demo/ping", headers=headers).status_code


def test_a_spoofed_x_forwarded_for_is_ignored(
    topology: Topology, transactional_db: None
) -> None:
    # Every request names another made-up client. nginx overwrites the header
    # with the address it saw (127.0.0.1), so all of them share one budget;
    # a proxy that appended to the header would give each its own.
    with topology.client() as client:
        responses = [
            client.get(
                f"{PREFIXES[index % 3]}/rl-demo/ping",
                headers={"X-Forwarded-For": f"203.0.113.{index + 1}"},
            )
            for index in range(PING_BUDGET + 3)
        ]

    assert [r.status_code for r in responses] == [200] * PING_BUDGET + [429] * 3
    assert error_code(responses[-1]) == "rate_limited"
    assert int(responses[-1].headers["retry-after"]) >= 1


def test_the_address_nginx_saw_is_the_client(topology: Topology, transactional_db: None) -> None:
    # Both clients reach the app from nginx (127.0.0.1); only nginx's
    # X-Forwarded-For tells them apart. Spending one's budget leaves the other's.
    with topology.client("127.0.0.2") as first, topology.client("127.0.0.3") as second:
        spent = [_ping(first, index) for index in range(PING_BUDGET + 1)]
        other = _ping(second, 0)

    assert spent == [200] * PING_BUDGET + [429]
    assert other == 200


def test_one_budget_across_both_processes(topology: Topology, transactional_db: None) -> None:
    before = len(topology.access_log())
    with topology.client("127.0.0.4") as client, ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda index: _ping(client, index), range(24)))

    assert sorted(statuses) == [200] * PING_BUDGET + [429] * (24 - PING_BUDGET)
    answered_by = {
        match[1]
        for line in topology.access_log()[before:]
        if "/rl-demo/ping" in line and (match := re.search(r"upstream=(\S+)", line))
    }
    assert answered_by == {app.address for app in topology.apps}, answered_by


# --- nginx's own refusals, in the envelope -----------------------------------------------------


def _status_and_json(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize("prefix", PREFIXES)
def test_headers_too_large_is_431_in_the_envelope(
    topology: Topology, prefix: str, transactional_db: None
) -> None:
    with topology.client() as client:
        # Refused by nginx: one line over 16 KiB; 80 KB of headers in all.
        one_long_line = client.get(f"{prefix}/books", headers={"X-Padding": "a" * 20_000})
        many_lines = client.get(
            f"{prefix}/books", headers={f"X-Padding-{n}": "a" * 1_000 for n in range(80)}
        )
        # Passed by nginx (every line short, 18 KB in all), refused by the app.
        past_nginx = client.get(
            f"{prefix}/books", headers={f"X-Padding-{n}": "a" * 1_500 for n in range(12)}
        )

    for response in (one_long_line, many_lines, past_nginx):
        assert response.status_code == 431
        assert error_code(response) == "headers_too_large"
        # Byte for byte what the app answers itself past MAX_HEADER_BYTES.
        assert response.content == HeadersTooLarge(settings.MAX_HEADER_BYTES).compact_json()
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-request-id"]
    assert one_long_line.headers["x-served-by"] == many_lines.headers["x-served-by"] == "nginx"
    assert past_nginx.headers["x-served-by"] != "nginx"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_body_over_one_mib_is_413_in_the_envelope(
    topology: Topology, prefix: str, transactional_db: None
) -> None:
    # Declared, not sent: nginx refuses on Content-Length before reading a byte.
    raw = topology.raw_exchange(
        f"POST {prefix}/auth/register HTTP/1.1\r\nHost: 127.0.0.1:{topology.https_port}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1048577\r\n\r\n".encode()
    )

    status, headers, body = _status_and_json(raw)
    assert status == 413, raw[:300]
    assert headers["content-type"] == "application/json"
    # Byte for byte what the app answers itself.
    assert body == PayloadTooLarge(settings.MAX_BODY_BYTES).compact_json()


def test_two_host_lines_are_400_in_the_envelope(
    topology: Topology, transactional_db: None
) -> None:
    raw = topology.raw_exchange(
        b"GET /api/flask/books HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n"
    )

    status, headers, body = _status_and_json(raw)
    assert status == 400, raw[:300]
    assert headers["content-type"] == "application/json"
    assert b'"code":"bad_request"' in body


MALFORMED = {
    "lower-case-method": (b"get {prefix}/books HTTP/1.1", 400, "bad_request"),
    "nul-in-target": (b"GET {prefix}/bo\x00oks HTTP/1.1", 400, "bad_request"),
    "del-in-target": (b"GET {prefix}/bo\x7foks HTTP/1.1", 400, "bad_request"),
    "cr-in-target": (b"GET {prefix}/bo\roks HTTP/1.1", 400, "bad_request"),
    "http-1.x": (b"GET {prefix}/books HTTP/1.x", 400, "bad_request"),
    "trace": (b"TRACE {prefix}/books HTTP/1.1", 405, "method_not_allowed"),
    "http-2.0": (b"GET {prefix}/books HTTP/2.0", 505, "bad_request"),
    "16-kib-uri": (b"GET {prefix}/books?q=" + b"a" * 16_384 + b" HTTP/1.1", 414, "bad_request"),
}


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_request_line_is_refused_in_the_envelope(
    topology: Topology, prefix: str, case: str, transactional_db: None
) -> None:
    line, expected_status, expected_code = MALFORMED[case]
    raw = topology.raw_exchange(
        line.replace(b"{prefix}", prefix.encode()) + b"\r\nHost: 127.0.0.1\r\n\r\n"
    )

    status, headers, body = _status_and_json(raw)
    assert status == expected_status, raw[:400]
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == expected_code
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-request-id"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_control_byte_in_a_header_value_is_refused_in_the_envelope(
    topology: Topology, prefix: str, transactional_db: None
) -> None:
    """nginx passes it on; the app's connection (common/asgi/http_protocol.py) refuses it."""
    raw = topology.raw_exchange(
        f"GET {prefix}/books HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\x01b\r\n\r\n".encode()
    )

    status, headers, body = _status_and_json(raw)
    assert status == 400, raw[:400]
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "bad_request"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-request-id"]


def test_a_stalled_body_is_cut_by_nginx_and_never_reaches_the_app(
    topology: Topology, transactional_db: None
) -> None:
    """nginx reads bodies itself (proxy_request_buffering on).

    A body that stops arriving is cut after client_body_timeout (2 s in this
    rendering): nginx logs 408 and closes the connection without an answer
    (nginx never writes a response for its own body timeout), and no app
    process ever saw the request. Meanwhile the API answers at once.
    """
    path = f"/api/flask/auth/register?stalled={uuid.uuid4().hex}"  # its own log line
    stalled: list[tuple[bytes, float]] = []  # (what came back, after how many seconds)

    def stall() -> None:
        started = time.monotonic()
        answer = topology.raw_exchange(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            'Content-Length: 50\r\n\r\n{"username": '.encode()
        )
        stalled.append((answer, time.monotonic() - started))

    thread = threading.Thread(target=stall)
    thread.start()
    time.sleep(0.5)
    with topology.client() as client:
        started = time.monotonic()
        health = client.get("/api/flask/health")
        health_seconds = time.monotonic() - started
    thread.join(timeout=60)

    assert health.status_code == 200 and health_seconds < 5, health_seconds
    [(answer, seconds)] = stalled
    assert answer == b""  # closed, no answer
    assert TEST_CLIENT_BODY_TIMEOUT_S - 0.5 <= seconds < 30, seconds
    logged = [line for line in topology.access_log() if f"POST {path}" in line]
    assert logged and all(" 408 " in line and "upstream=- " in line for line in logged), logged


# --- one process killed under load --------------------------------------------------------------


@pytest.fixture
def failover_topology(transactional_db: None) -> Iterator[Topology]:
    """A topology of its own: this test kills its app processes."""
    with Topology(extra_env=ENV) as running:
        yield running


def test_gets_keep_answering_when_one_process_is_killed(failover_topology: Topology) -> None:
    """Every GET sent after the kill answers 200, through the survivor.

    A GET sent before it is retried on the survivor when the dead process
    had not started answering it. One whose response headers had already
    left cannot be: nginx passed them on, then lost the body. At most one
    such request per client (each sends one at a time) ends without an
    answer; none ends in an error status.
    """
    topology = failover_topology
    outcomes: list[tuple[float, int | str]] = []  # (sent at, status or transport error)
    stop = threading.Event()

    def load(worker: int) -> None:
        with topology.client(f"127.0.0.{10 + worker}") as client:
            index = 0
            while not stop.is_set():
                sent_at = time.monotonic()
                try:
                    outcome: int | str = client.get(f"{PREFIXES[index % 3]}/books").status_code
                except httpx.HTTPError as exc:
                    outcome = repr(exc)
                outcomes.append((sent_at, outcome))
                index += 1

    clients = 4
    threads = [threading.Thread(target=load, args=(worker,)) for worker in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    killed, survivor = topology.apps
    killed.kill()  # SIGKILL, with requests in flight; returns once the process is gone
    killed_at = time.monotonic()
    log_at_kill = len(topology.access_log())
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    before = [outcome for sent_at, outcome in outcomes if sent_at < killed_at]
    after = [outcome for sent_at, outcome in outcomes if sent_at >= killed_at]
    assert before and after, (len(before), len(after))
    assert set(after) == {200}, sorted(map(str, set(after)))
    cut_short = [outcome for outcome in before if outcome != 200]
    assert all(isinstance(outcome, str) for outcome in cut_short), cut_short
    assert len(cut_short) <= clients, cut_short
    # Answered after the kill: by the survivor (some after a try at the dead one).
    logged_after = topology.access_log()[log_at_kill:]
    assert any(f"upstream={survivor.address} " in line for line in logged_after)

    # With no process left, nginx answers 503 in the envelope itself.
    survivor.kill()
    with topology.client() as client:
        response = client.get("/api/fastapi/books")
    assert response.status_code == 503
    assert response.content == ServiceUnavailable().compact_json()
    assert response.headers["retry-after"] == "30"


# --- a rolling restart under load ------------------------------------------------------------


@pytest.fixture
def restart_topology(transactional_db: None) -> Iterator[Topology]:
    """A topology of its own: this test restarts its app processes."""
    with Topology(extra_env=ENV) as running:
        yield running


def test_a_rolling_restart_under_load_fails_no_request(
    restart_topology: Topology, make_user: Callable[[str], str]
) -> None:
    """Restart one process as systemd does (SIGTERM, start, wait for /ready), then the other.

    Meanwhile four clients send GETs and POSTs without pause through nginx.
    Every request answers 200 or 201, and every acknowledged book is stored:
    the stopping process drains (fails /ready, keeps serving, then refuses
    new connections, which nginx retries elsewhere, and still answers what
    nginx sent on its open ones: common/asgi/http_protocol.py), and
    nginx takes the restarted one back within fail_timeout (2 s), before
    the other stops accepting.
    """
    from books.models import Book

    topology = restart_topology
    make_user("roller")
    with topology.client() as client:
        login = client.post(
            "/api/fastapi/auth/token", data={"username": "roller", "password": PASSWORD}
        )
    assert login.status_code == 200, login.text
    authorization = {"Authorization": f"Bearer {login.json()['access_token']}"}
    outcomes: list[tuple[str, int | str]] = []  # (method, status or transport error)
    created: list[int] = []
    stop = threading.Event()

    def load(worker: int) -> None:
        writer = worker % 2 == 1
        with topology.client(f"127.0.0.{20 + worker}") as client:
            index = 0
            while not stop.is_set():
                prefix = PREFIXES[index % 3]
                try:
                    if writer:
                        response = client.post(
                            f"{prefix}/books", headers=authorization,
                            json={"title": f"Rolling {worker}-{index}", "author": "R. Oller",
                                  "year": 2020},
                        )
                        if response.status_code == 201:
                            created.append(response.json()["data"]["id"])
                    else:
                        response = client.get(f"{prefix}/books")
                    outcome: int | str = response.status_code
                except httpx.HTTPError as exc:
                    outcome = repr(exc)
                outcomes.append(("POST" if writer else "GET", outcome))
                index += 1

    threads = [threading.Thread(target=load, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        for app in topology.apps:
            app.restart_as_systemd_does()
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    failed = [outcome for outcome in outcomes if outcome[1] not in (200, 201)]
    assert not failed, (len(failed), len(outcomes), sorted(set(map(str, failed)))[:10])
    posts = [outcome for outcome in outcomes if outcome[0] == "POST"]
    assert len(posts) >= 20, len(posts)
    assert Book.objects.filter(id__in=created).count() == len(created) == len(posts)
