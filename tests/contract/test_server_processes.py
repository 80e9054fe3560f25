"""Several server processes sharing one cache spend one rate-limit budget.

Two real `uvicorn config.asgi:application` processes, one cache (Redis, or
the embedded default's SQLite files in this run's CACHE_DIR): 20 parallel
requests spread over both servers and every prefix against a budget of 5
admit exactly 5. Runs in both passes.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings

from tests.contract.conftest import PREFIXES
from tests.support.network import free_port, wait_until_answering
from tests.support.processes import process_env

# Slow (--all, CI): two uvicorn servers sharing one budget.
pytestmark = pytest.mark.slow


@pytest.fixture
def two_servers(transactional_db: None) -> Iterator[list[str]]:
    # Both processes sign and check with the same keys and use this test
    # run's database and cache.
    env = process_env({"RL_DEMO_PING": "5/hour"})
    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=settings.BASE_DIR, env=env,
        )
        for port in ports
    ]
    base_urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base_url in base_urls:
            wait_until_answering(f"{base_url}/health")
        yield base_urls
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)


def test_two_server_processes_share_one_budget(two_servers: list[str]) -> None:
    from django.core.cache import cache

    cache.clear()  # the start-up probes spent some of the budget
    urls = [
        f"{two_servers[i % 2]}{PREFIXES[i % len(PREFIXES)]}/rl-demo/ping" for i in range(20)
    ]
    barrier = threading.Barrier(len(urls))
    statuses: list[int] = []

    def hit(url: str) -> None:
        barrier.wait()
        statuses.append(httpx.get(url, timeout=10).status_code)

    threads = [threading.Thread(target=hit, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] * 5 + [429] * 15
