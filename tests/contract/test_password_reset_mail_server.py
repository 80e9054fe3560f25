"""A slow mail server delays no other request, at any prefix (API.md, "Auth": password reset).

A real uvicorn server (tests/support/processes.py) sends its reset emails
to a real SMTP port opened here, which accepts connections and then says
nothing for longer than the server's EMAIL_TIMEOUT: the worst a mail server
can do short of refusing. While it stalls, thirty reset requests (ten per
prefix, for an address that exists) come in; then the health check and
`/auth/me` at each prefix must answer at once. Before the sending had its
own bounded sender, the lookups kept their pooled database connections (and
FastAPI's database threads, Flask's a2wsgi threads) through `send_mail`:
the same requests took 2 to 4.6 s, or 503.

The SMTP side also shows the sender is bounded: however many emails wait,
no more than SENDER_THREADS connections are ever open at once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from common.mail import SENDER_THREADS
from tests.support.processes import UvicornServer

from .conftest import PASSWORD, PREFIXES, Account

# Slow (--all, CI): a server sending to a stalled mail server.
pytestmark = pytest.mark.slow

# It greets after this many seconds: past the server's EMAIL_TIMEOUT below.
STALL_S = 30
EMAIL_TIMEOUT_S = 5
RESETS_PER_PREFIX = 10
# Generous: a stalled request took 2 to 4.6 s; a free one takes milliseconds.
FAST_S = 1.0


class StallingSmtpServer:
    """A TCP port that accepts SMTP connections and never greets in time."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.open_now = 0
        self.most_open = 0
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> StallingSmtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self.open_now += 1
                self.most_open = max(self.most_open, self.open_now)
            threading.Thread(target=self._stall, args=(conn,), daemon=True).start()

    def _stall(self, conn: socket.socket) -> None:
        """Hold the connection silent; notice when the client gives up (EOF)."""
        conn.settimeout(0.2)
        deadline = time.monotonic() + STALL_S
        try:
            while time.monotonic() < deadline and not self._stop.is_set():
                try:
                    if conn.recv(1024) == b"":
                        break  # the client closed its side: it timed out
                except TimeoutError:
                    continue
                except OSError:
                    break
        finally:
            conn.close()
            with self._lock:
                self.open_now -= 1


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server process knows Argon2, not the tests' MD5."""


@pytest.fixture
def smtp() -> Iterator[StallingSmtpServer]:
    with StallingSmtpServer() as server:
        yield server


def test_a_stalled_mail_server_slows_no_other_request(
    alice: Account, smtp: StallingSmtpServer
) -> None:
    env = {
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}?tls=false",
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT_S),
        # Room for thirty resets of one address from one client.
        "RATE_LIMIT_PASSWORD_RESET": "1000/hour",
        "RATE_LIMIT_ANON": "1000/minute",
    }
    with UvicornServer(extra_env=env) as server, httpx.Client(
        base_url=server.base_url, timeout=30
    ) as http:
        login = http.post(
            "/api/fastapi/auth/token",
            data={"grant_type": "password", "username": alice.username, "password": PASSWORD},
        )
        assert login.status_code == 200, login.text
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}

        for prefix in ("/api/fastapi", "/api/flask", "/api/drf"):
            for _ in range(RESETS_PER_PREFIX):
                started = time.monotonic()
                response = http.post(f"{prefix}/auth/password-reset", json={"email": alice.email})
                assert response.status_code == 202, (prefix, response.text)
                assert time.monotonic() - started < FAST_S, prefix
        time.sleep(0.5)  # the senders pick up their first emails and stall on them
        assert smtp.accepted >= 1, "no email was ever sent to the stalled server"

        timings = {}
        for path in ["/health", *(f"{p}/auth/me" for p in PREFIXES)]:
            started = time.monotonic()
            response = http.get(path, headers=bearer)
            timings[path] = round(time.monotonic() - started, 3)
            assert response.status_code == 200, (path, response.status_code, response.text)
        assert all(seconds < FAST_S for seconds in timings.values()), timings
        # The sender is bounded: never more SMTP connections than its threads.
        assert smtp.most_open <= SENDER_THREADS, (smtp.most_open, SENDER_THREADS)
