"""A Redis refusing REDIS_URL's password stops the server in one line; one that is down does not.

A `redis-server` with a password, started on a free loopback port for the module.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from common.redis_checks import check_redis_credentials
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "right-horse-battery"

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None,
                                reason="needs redis-server (Debian package redis-server)")


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="redis-auth-") as folder:
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--requirepass", PASSWORD,
             "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=10)


def _caches(url: str) -> dict[str, dict[str, object]]:
    return {"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }}


def _check(url: str) -> None:
    with override_settings(REDIS_URL=url, CACHES=_caches(url)):
        check_redis_credentials()


def test_the_right_password_passes(redis_port: int) -> None:
    _check(f"redis://:{PASSWORD}@127.0.0.1:{redis_port}/0")


@pytest.mark.parametrize("credentials", [":wrong-secret@", ""], ids=["wrong", "none"])
def test_a_refused_login_is_a_setting_error(redis_port: int, credentials: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        _check(f"redis://{credentials}127.0.0.1:{redis_port}/0")

    message = str(raised.value)
    assert message.startswith("REDIS_URL=") and "\n" not in message
    assert "wrong-secret" not in message


def test_a_redis_that_is_down_is_not_a_setting_error() -> None:
    _check(f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0")  # nobody listens: starts anyway


def test_uvicorn_stops_with_one_line(redis_port: int) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    environment.update(TESTING="1", REDIS_URL=f"redis://:wrong-secret@127.0.0.1:{redis_port}/0")

    result = subprocess.run(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", "0"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Configuration error: REDIS_URL="), result.stderr
    assert "Redis accepts" in lines[-1]
    assert "Traceback" not in result.stderr
    assert "wrong-secret" not in result.stderr
