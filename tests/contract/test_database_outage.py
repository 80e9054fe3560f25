"""A real PostgreSQL outage: the pool answers 503 at every prefix, and recovers at once.

The test database is reached through a TCP proxy the test controls; closing
it drops every pooled connection and refuses new ones, as a restarting
server does. The psycopg pool options in config/settings.py (a 2 s wait for a
connection, a 2 s reconnect budget instead of 5 minutes of backoff, and a
check of each pooled connection before use) decide how fast both edges are:
before them FastAPI and Flask answered after 10 s, and after recovery the
pool kept answering 503 for up to ~36 s. Timings are not asserted (speed
is measured, not tested): this checks the behaviour, 503 in the envelope at
every prefix while the server is gone and 200 again within three requests
once it is back. Measured on this machine: the test's call phase takes
~7 s with these options, ~38 s with the old ones (10 s wait, 5 min backoff).

PostgreSQL only: SQLite has no server to lose and no pool.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from django.db import connection

from tests.contract.conftest import Api, assert_error

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL and its connection pool"
)


class TcpProxy:
    """Forwards a local port to `upstream`; `stop()` cuts every connection."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
            listener, self._listener = self._listener, None
        for sock in [*sockets, *([listener] if listener else [])]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()


@pytest.fixture
def proxy(transactional_db: None) -> Iterator[TcpProxy]:
    settings = connection.settings_dict
    original = (settings["HOST"], settings["PORT"])
    tcp = TcpProxy((original[0] or "127.0.0.1", int(original[1] or 5432)))
    tcp.start()
    settings["HOST"], settings["PORT"] = "127.0.0.1", tcp.port
    connection.close_pool()  # the next connection opens a pool through the proxy
    try:
        yield tcp
    finally:
        tcp.stop()
        settings["HOST"], settings["PORT"] = original
        connection.close_pool()


def _uncached(api: Api, n: int) -> int:
    # A new search each time: never answered from the cache.
    return api.get("/books", params={"search": f"outage-{n}"}).status_code


def test_an_outage_is_503_everywhere_and_recovery_is_prompt(
    proxy: TcpProxy, apis: list[Api]
) -> None:
    for n, api in enumerate(apis):
        assert _uncached(api, n) == 200

    proxy.stop()
    for n, api in enumerate(apis):
        response = api.get("/books", params={"search": f"down-{n}"})
        assert_error(response, 503, "service_unavailable")

    proxy.start()  # the same port: the server is back
    for n, api in enumerate(apis):
        statuses = []
        for attempt in range(3):
            statuses.append(_uncached(api, 100 * n + attempt))
            if statuses[-1] == 200:
                break
        assert statuses[-1] == 200, (api.prefix, statuses)


