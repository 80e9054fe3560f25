"""Redis over TLS (`rediss://`): cached reads, limits and logins work at every prefix.

A certificate authority and a server certificate made now (openssl), a
`redis-server` answering TLS only on a free loopback port, and one server
with `REDIS_URL=rediss://…?ssl_ca_certs=<the CA>`: the hot read and the
limiter go through redis-py's TLS connections (common/redis_client.py).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.contract.conftest import PASSWORD, PREFIXES
from tests.support.network import free_port
from tests.support.processes import UvicornServer

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("openssl") is None,
    reason="needs redis-server and openssl",
)

PING_BUDGET = 3


def _certificates(folder: Path) -> None:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "1", "-subj", "/CN=test-ca")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf")


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server process knows Argon2, not the tests' MD5."""


@pytest.fixture(scope="module")
def tls_redis_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="redis-tls-") as name:
        folder = Path(name)
        _certificates(folder)
        port = free_port()
        process = subprocess.Popen(
            ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
             "--tls-cert-file", "server.pem", "--tls-key-file", "server.key",
             "--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no",
             "--save", "", "--appendonly", "no", "--dir", name],
            cwd=folder, stdout=subprocess.DEVNULL,
        )
        url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={folder / 'ca.pem'}"
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    redis.Redis.from_url(url).ping()
                    break
                except redis.RedisError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_cached_reads_limits_and_logins_over_tls(
    tls_redis_url: str, transactional_db: None
) -> None:
    from accounts.models import User

    User.objects.create_user(username="alice", email="alice@example.com", password=PASSWORD)
    env = {"REDIS_URL": tls_redis_url, "RL_DEMO_PING": f"{PING_BUDGET}/hour",
           "LOG_LEVEL": "WARNING"}
    with UvicornServer(extra_env=env) as server, \
            httpx.Client(base_url=server.base_url, timeout=10) as client:
        for prefix in PREFIXES:
            first, second = client.get(f"{prefix}/books"), client.get(f"{prefix}/books")
            assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("MISS", "HIT")
            assert "RateLimit" in second.headers  # counted on the TLS Redis

        pings = [client.get(f"{PREFIXES[n % len(PREFIXES)]}/rl-demo/ping")
                 for n in range(PING_BUDGET + 1)]
        assert [p.status_code for p in pings] == [200] * PING_BUDGET + [429]

        for prefix in PREFIXES:
            login = client.post(f"{prefix}/auth/token", data={
                "grant_type": "password", "username": "alice", "password": PASSWORD,
            })
            assert login.status_code == 200, login.text

    stored = redis.Redis.from_url(tls_redis_url)
    assert any(stored.scan_iter(match="api:1:e*", count=1000)), "keys carry the epoch"
