"""A server process keeps at most 2 KB per request, at every prefix.

One real `uvicorn config.asgi:application` for the module, on this run's
database and cache (Redis in the PostgreSQL + Redis pass). For each prefix:
warm up, then 2,000 authenticated reads (`GET /auth/me`), 2,000 cached
reads (`GET /books`) and 500 writes (`POST /books` then its `DELETE`)
between two readings of the server's RSS (benchmarks/memory.py, which
`manage.py bench_memory` also runs, with larger counts). A leak of one
client object per request kept ~17 KB. `slow`: about a minute of requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from benchmarks.memory import AUTH_ME, CACHED_READ, WRITE, MemoryProbe
from tests.contract.conftest import PASSWORD, PREFIXES
from tests.support.processes import UvicornServer

pytestmark = pytest.mark.slow

REQUESTS = 2_000
WRITES = 500  # each a POST and a DELETE, a hundred times the cost of a cached read
MAX_BYTES_KEPT_PER_REQUEST = 2_048
USERNAME = "memory-probe"
ENV = {"RATE_LIMIT_ANON": "1000000/minute", "RATE_LIMIT_USER": "1000000/minute",
       "LOG_LEVEL": "WARNING"}


@pytest.fixture(autouse=True)
def fast_password_hasher() -> None:
    """Keep the real hashers: the server process knows Argon2, not the tests' MD5."""


@pytest.fixture(scope="module")
def probe(django_db_setup: None) -> Iterator[MemoryProbe]:
    """The server for the whole module, and a probe of its memory."""
    with UvicornServer(extra_env=ENV) as server:
        assert server._process is not None
        memory_probe = MemoryProbe(pid=server._process.pid, base_url=server.base_url)
        try:
            yield memory_probe
        finally:
            memory_probe.close()


@pytest.fixture
def token_at(transactional_db: None) -> Callable[[MemoryProbe, str], str]:
    """Log a new user in at a prefix (a real Argon2 hash: the server checks it)."""
    from accounts.models import User

    User.objects.create_user(username=USERNAME, email="probe@example.com", password=PASSWORD)
    return lambda probe, prefix: probe.login(prefix, username=USERNAME, password=PASSWORD)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_an_authenticated_read_keeps_no_memory(
    probe: MemoryProbe, token_at: Callable[[MemoryProbe, str], str], prefix: str
) -> None:
    token = token_at(probe, prefix)

    kept = probe.measure(AUTH_ME, prefix, token=token, requests=REQUESTS)

    assert kept.bytes_per_request <= MAX_BYTES_KEPT_PER_REQUEST, kept


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_cached_read_keeps_no_memory(
    probe: MemoryProbe, prefix: str, transactional_db: None
) -> None:
    kept = probe.measure(CACHED_READ, prefix, token=None, requests=REQUESTS)

    assert kept.bytes_per_request <= MAX_BYTES_KEPT_PER_REQUEST, kept


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_write_keeps_no_memory(probe: MemoryProbe, transactional_db: None, prefix: str) -> None:
    from accounts.models import Role, User

    # An admin: the scenario deletes each book it wrote.
    User.objects.create_user(username="memory-admin", email="admin-probe@example.com",
                             password=PASSWORD, role=Role.ADMIN)
    token = probe.login(prefix, username="memory-admin", password=PASSWORD)

    kept = probe.measure(WRITE, prefix, token=token, requests=WRITES, warmup=100)

    assert kept.bytes_per_request <= MAX_BYTES_KEPT_PER_REQUEST, kept
