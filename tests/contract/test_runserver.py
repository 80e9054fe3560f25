"""`manage.py runserver` serves the composed app: all three prefixes answer.

Django's own development server only knew Django, so /api/fastapi and
/api/flask were 404 under it. config/management/commands/runserver.py
starts uvicorn on config.asgi:application instead; this runs it as a real
process, on this run's database, keys and cache (tests/support/processes.py).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from django.conf import settings
from django.core.management import CommandError

from config.management.commands.runserver import parse_addrport, runserver_command
from tests.support.processes import free_port, process_env

# Slow (--all, CI): manage.py runserver and its reloader, as processes.
pytestmark = pytest.mark.slow

PREFIXES = ["/api/drf", "/api/fastapi", "/api/flask"]


@pytest.fixture
def runserver(transactional_db: None) -> Iterator[str]:
    """`manage.py runserver 127.0.0.1:<port> --noreload` until it answers; its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=settings.BASE_DIR, env=process_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "manage.py runserver exited"
            assert time.monotonic() < deadline, "manage.py runserver did not answer"
            try:
                httpx.get(f"{base_url}/health", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base_url
    finally:
        # SIGTERM to manage.py; it passes it on to uvicorn, which must not outlive it.
        process.terminate()
        process.wait(timeout=30)


def test_runserver_serves_every_prefix(runserver: str) -> None:
    for prefix in PREFIXES:
        response = httpx.get(f"{runserver}{prefix}/health", timeout=10)
        assert response.status_code == 200, (prefix, response.text)
        assert response.headers["X-Served-By"] == prefix.removeprefix("/api/")
    # Django's pages come from the same process.
    assert httpx.get(f"{runserver}/compare", timeout=10).status_code == 200


def test_runserver_stops_uvicorn_with_it(transactional_db: None) -> None:
    """A terminated manage.py leaves no server behind: the port is free again."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", str(port), "--noreload"],
        cwd=settings.BASE_DIR, env=process_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline, "manage.py runserver did not answer"
        try:
            httpx.get(f"{base_url}/health", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    process.wait(timeout=30)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/health", timeout=2)


@pytest.mark.parametrize(
    ("addrport", "expected"),
    [
        ("8000", ("127.0.0.1", 8000)),
        ("0.0.0.0:8000", ("0.0.0.0", 8000)),
        ("127.0.0.1:9000", ("127.0.0.1", 9000)),
        ("localhost:8001", ("localhost", 8001)),
        ("[::1]:8000", ("::1", 8000)),
    ],
)
def test_addrport_is_djangos(addrport: str, expected: tuple[str, int]) -> None:
    assert parse_addrport(addrport) == expected


@pytest.mark.parametrize("addrport", ["", "abc", "host:", ":8000", "127.0.0.1:99999", "80 00"])
def test_a_bad_addrport_is_a_clear_error(addrport: str) -> None:
    with pytest.raises(CommandError, match="port"):
        parse_addrport(addrport)


def test_the_flags_are_dev_pys_plus_the_reloader() -> None:
    plain = runserver_command("python", host="127.0.0.1", port=8000, reload=False)
    assert plain[:4] == ["python", "-m", "uvicorn", "config.asgi:application"]
    assert {"--no-proxy-headers", "--no-access-log"} <= set(plain)
    assert "--reload" not in plain

    reloading = runserver_command("python", host="127.0.0.1", port=8000, reload=True)
    assert {"--no-proxy-headers", "--no-access-log", "--reload"} <= set(reloading)
    assert "--workers" not in reloading  # uvicorn refuses --workers with --reload
    watched = [reloading[i + 1] for i, flag in enumerate(reloading) if flag == "--reload-dir"]
    assert any(path.endswith("templates") for path in watched)
    assert not any(path.endswith(".venv") for path in watched)
    assert "*.html" in reloading
