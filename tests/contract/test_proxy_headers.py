"""The server as dev.py starts it believes X-Forwarded-For only from TRUSTED_PROXIES.

uvicorn's default (`--forwarded-allow-ips 127.0.0.1`) rewrites the client
address from X-Forwarded-For before the app sees it, so a request from
loopback could choose the address it is counted under. These tests start a
real uvicorn with `config.serving.server_command` and send spoofed headers from
127.0.0.1: with TRUSTED_PROXIES empty the rate limit and the IP lockout
still bite; with TRUSTED_PROXIES=127.0.0.1 the same headers are believed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.conf import settings

from config.serving import server_command
from tests.support.network import free_port, wait_until_answering
from tests.support.processes import this_run_database_url

# Slow (--all, CI): a uvicorn server per proxy setting.
pytestmark = pytest.mark.slow


@pytest.fixture
def start_server(transactional_db: None) -> Iterator[Callable[[str], str]]:
    """Start `config.serving.server_command` with a TRUSTED_PROXIES value; answers its base URL."""
    servers: list[subprocess.Popen[bytes]] = []

    def start(trusted_proxies: str) -> str:
        env = {
            **os.environ,
            "TESTING": "1",
            "SECRET_KEY": settings.SECRET_KEY,
            "JWT_SIGNING_KEY": settings.JWT_SIGNING_KEY,
            "DATABASE_URL": this_run_database_url(),
            "TRUSTED_PROXIES": trusted_proxies,
            "RL_DEMO_PING": "3/hour",
            "LOGIN_MAX_FAILURES": "3",
            "LOGIN_MAX_FAILURES_PER_IP": "3",
        }
        env.pop("FORWARDED_ALLOW_IPS", None)  # uvicorn's own knob must not matter either
        port = free_port()
        command = server_command(sys.executable, host="127.0.0.1", port=port)
        servers.append(
            subprocess.Popen(
                [*command, "--log-level", "warning"], cwd=settings.BASE_DIR, env=env
            )
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base_url}/health")
        return base_url

    try:
        yield start
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=15)


PREFIXES = ["/api/drf", "/api/fastapi", "/api/flask"]


def _spoofed(index: int) -> dict[str, str]:
    """Another made-up client address for every request."""
    return {"X-Forwarded-For": f"203.0.113.{index + 1}"}


def _ping_statuses(base_url: str) -> list[int]:
    """Five pings, round the three prefixes (they share one per-IP budget)."""
    return [
        httpx.get(
            f"{base_url}{PREFIXES[i % 3]}/rl-demo/ping", headers=_spoofed(i), timeout=10
        ).status_code
        for i in range(5)
    ]


def _bf_demo_codes(base_url: str) -> list[str]:
    """Four wrong demo logins round the prefixes, each for another username."""
    codes = []
    for index in range(4):
        response = httpx.post(
            f"{base_url}{PREFIXES[index % 3]}/bf-demo/login",
            json={"username": f"sprayed{index}", "password": "Wrong-Password-42"},
            headers=_spoofed(index),
            timeout=10,
        )
        codes.append(response.json()["error"]["code"])
    return codes


def test_spoofed_forwarded_for_from_loopback_is_ignored(
    start_server: Callable[[str], str],
) -> None:
    base_url = start_server("")
    # RL_DEMO_PING=3/hour per IP: the spoofed addresses share 127.0.0.1's budget.
    assert _ping_statuses(base_url) == [200, 200, 200, 429, 429]
    # LOGIN_MAX_FAILURES_PER_IP=3: three usernames sprayed from "three addresses" lock 127.0.0.1.
    assert _bf_demo_codes(base_url) == ["not_authenticated"] * 3 + ["locked_out"]


def test_forwarded_for_is_believed_from_a_trusted_proxy(
    start_server: Callable[[str], str],
) -> None:
    """The same requests with TRUSTED_PROXIES=127.0.0.1: one setting turns XFF on."""
    base_url = start_server("127.0.0.1")
    assert _ping_statuses(base_url) == [200] * 5
    assert _bf_demo_codes(base_url) == ["not_authenticated"] * 4
