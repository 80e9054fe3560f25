"""dev.py serve for a newcomer, and `manage.py test` saying what it runs."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_free_port_passes_the_check(dev: ModuleType) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert dev.cannot_listen("127.0.0.1", port) is None


def test_a_busy_port_is_one_line_before_anything_runs(dev: ModuleType, busy_port: int) -> None:
    message = dev.cannot_listen("127.0.0.1", busy_port)
    assert message and "already in use" in message and f"--port {busy_port + 1}" in message
    result = subprocess.run(
        [sys.executable, "dev.py", "serve", "--port", str(busy_port)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""  # no install, migrate or seed step ran
    assert result.stderr.strip() == message


def test_an_unknown_host_is_one_line(dev: ModuleType) -> None:
    assert "unknown host" in dev.cannot_listen("no-such-host.invalid", 8000)


def test_the_banner_names_landing_admin_and_docs(dev: ModuleType) -> None:
    base = dev.browse_url("0.0.0.0", 8123)
    assert base == "http://127.0.0.1:8123"
    assert dev.browse_url("::", 80) == "http://[::1]:80"
    urls = dev.ready_banner(base).split()
    for path in ("/", "/admin/", "/api/drf/docs", "/api/fastapi/docs", "/api/flask/docs"):
        assert f"{base}{path}" in urls, path


def test_serve_options_have_help() -> None:
    result = subprocess.run(
        [sys.executable, "dev.py", "serve", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert "port to listen on (default 8000)" in result.stdout
    assert "address to listen on (default 127.0.0.1" in result.stdout


def test_manage_py_test_runs_pytest() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "test", "--collect-only", "-q",
         "tests/unit/test_layering.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, TESTING="1"),
    )
    assert result.returncode == 0, result.stderr
    assert "Running pytest" in result.stdout
    # pytest's own output (-q --collect-only: "file: count"), not Django's "Ran 0 tests".
    assert "tests/unit/test_layering.py: " in result.stdout
    assert "Ran 0 tests" not in result.stdout
