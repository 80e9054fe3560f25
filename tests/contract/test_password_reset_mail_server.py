"""A stalled mail server delays no request and loses no email (API.md, "Auth": password reset).

A real uvicorn server and its mail worker (`manage.py db_worker`, started
beside it by tests/support/processes.py) send reset emails to a real SMTP
port opened here, which accepts connections and then says nothing for
longer than the server's EMAIL_TIMEOUT: the worst a mail server can do
short of refusing.

- While it stalls, thirty reset requests (ten per prefix, for an address
  that exists) come in; then the health check and `/auth/me` at each prefix
  must answer at once. Before the sending left the request path, the
  lookups kept their pooled database connections (and FastAPI's database
  threads, Flask's a2wsgi threads) through `send_mail`: the same requests
  took 2 to 4.6 s, or 503. The SMTP side shows the sending is bounded: one
  worker, one connection at a time.
- 150 resets for 150 accounts wait while it stalls; the worker is killed
  (SIGKILL) in the middle of a send and another one started; then the
  server recovers, and every one of the 150 emails arrives, each once.
  Before the jobs were rows, the in-process queue held 100: the rest were
  dropped with a WARNING, and a restart lost all of them.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Self

import httpx
import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.identity import canonical
from accounts.models import User
from common.mail_tasks import LOST_WORKER, mail_jobs
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

    def __enter__(self) -> Self:
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


class RecoveringSmtpServer(StallingSmtpServer):
    """Stalls like its parent until `recover()`; then a working SMTP server that keeps recipients.

    A connection taken while it stalled stays silent: the client gives up on it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._recovered = threading.Event()
        self.recipients: list[str] = []

    def recover(self) -> None:
        self._recovered.set()

    def _stall(self, conn: socket.socket) -> None:
        if not self._recovered.is_set():
            super()._stall(conn)
            return
        try:
            self._converse(conn)
        except OSError:
            pass
        finally:
            conn.close()
            with self._lock:
                self.open_now -= 1

    def _converse(self, conn: socket.socket) -> None:
        """Just enough SMTP for smtplib: every command is fine; DATA's recipients are kept."""
        conn.settimeout(10)
        reader = conn.makefile("rb")
        conn.sendall(b"220 localhost ready\r\n")
        recipients: list[str] = []
        for raw in reader:
            command = raw.decode("latin-1").strip()
            verb = command[:4].upper()
            if verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
            elif verb == "DATA":
                conn.sendall(b"354 end with a dot\r\n")
                for line in reader:
                    if line.rstrip(b"\r\n") == b".":
                        break
                with self._lock:
                    self.recipients.extend(recipients)
                recipients = []
            elif verb == "QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            conn.sendall(b"250 OK\r\n")


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout_s} s for {what}"
        time.sleep(0.05)


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
        # The sending is bounded: one worker, one SMTP connection at a time.
        assert smtp.most_open <= 1, smtp.most_open


QUEUED_RESETS = 150
# Each send to the stalled server gives up after this long.
EMAIL_TIMEOUT_S_HERE = 1


def test_every_queued_email_goes_out_once_the_server_recovers_across_a_worker_restart(
    transactional_db: None,
) -> None:
    # 150 accounts (one hash for all: Argon2 150 times would take 20 s).
    password = make_password(PASSWORD)
    addresses = [f"reader{number}@example.com" for number in range(QUEUED_RESETS)]
    User.objects.bulk_create(
        User(username=name, username_canonical=canonical(name), email=address,
             email_canonical=canonical(address), password=password)
        for name, address in ((address.split("@")[0], address) for address in addresses)
    )
    env = {
        "EMAIL_TIMEOUT": str(EMAIL_TIMEOUT_S_HERE),
        "MAIL_RETRY_BACKOFF": "1",  # attempts 1, 2, 4, 8 s apart
        "MAIL_JOB_LEASE": "3",  # a send gives up after about 1 s here
        "RATE_LIMIT_PASSWORD_RESET": "1000/hour",
        "RATE_LIMIT_ANON": "1000/minute",
    }
    with RecoveringSmtpServer() as smtp:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp.port}?tls=false"
        with UvicornServer(extra_env=env) as server, httpx.Client(
            base_url=server.base_url, timeout=30
        ) as http:
            worker = server.mail_worker
            assert worker is not None, "a server that sends mail gets a worker beside it"
            for number, address in enumerate(addresses):
                prefix = PREFIXES[number % len(PREFIXES)]
                response = http.post(f"{prefix}/auth/password-reset", json={"email": address})
                assert response.status_code == 202, (prefix, response.text)
            # Every reset is a row before the mail server has sent anything.
            wait_until(lambda: mail_jobs().count() >= QUEUED_RESETS, 10, "150 stored jobs")

            # The worker is in the middle of a send to the stalled server (a job it
            # took less than half its EMAIL_TIMEOUT ago): kill it there.
            def sending_now() -> bool:
                started = timezone.now() - timedelta(seconds=EMAIL_TIMEOUT_S_HERE / 2)
                return mail_jobs().filter(status="RUNNING", started_at__gt=started).exists()

            wait_until(sending_now, 10, "the worker to reach the mail server")
            worker.kill()
            assert mail_jobs().filter(status="RUNNING").count() == 1  # its job, orphaned
            worker.start()  # another worker, which meets the same stall
            accepted = smtp.accepted
            wait_until(lambda: smtp.accepted > accepted, 15, "the new worker to send")

            smtp.recover()
            wait_until(lambda: len(smtp.recipients) >= QUEUED_RESETS, 90, "every email")
            time.sleep(1)  # a duplicate would show up now

    assert sorted(smtp.recipients) == sorted(addresses)  # every email, each once
    assert not mail_jobs().filter(status__in=["READY", "RUNNING"]).exists()
    # The one job the killed worker held ended as lost; its next attempt sent the email.
    failed = mail_jobs().filter(status="FAILED")
    assert list(failed.values_list("exception_class_path", flat=True)) == [LOST_WORKER]
    assert DBTaskResult.objects.exclude(status="SUCCESSFUL").count() == 1
