"""dev.py serve for a newcomer, and `manage.py test` saying what it runs."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tomllib
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
    for path in ("/", "/compare", "/api/drf/books", "/admin/", "/api/drf/docs",
                 "/api/fastapi/docs", "/api/flask/docs"):
        assert f"{base}{path}" in urls, path


def test_serve_options_have_help() -> None:
    result = subprocess.run(
        [sys.executable, "dev.py", "serve", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert "port to listen on (default 8000)" in result.stdout
    assert "address to listen on (default 127.0.0.1" in result.stdout


@pytest.mark.slow  # a second pytest run, started from scratch
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


def test_serve_installs_the_runtime_set_and_test_the_test_tools(dev: ModuleType) -> None:
    assert dev.SERVE_REQUIREMENTS.name == "base.txt"
    assert dev.TEST_REQUIREMENTS.name == "dev.txt"
    # dev.txt pulls in base.txt, so installing it stamps both.
    assert dev.included_files(dev.TEST_REQUIREMENTS) == [
        dev.TEST_REQUIREMENTS, dev.SERVE_REQUIREMENTS
    ]
    assert dev.included_files(dev.SERVE_REQUIREMENTS) == [dev.SERVE_REQUIREMENTS]
    assert "pytest" not in dev.SERVE_REQUIREMENTS.read_text()


def test_a_stamp_changes_with_any_file_it_reads(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "base.txt"
    tools = tmp_path / "dev.txt"
    base.write_text("Django==5.2\n")
    tools.write_text("-r base.txt\npytest==9.0\n")
    before = dev.requirements_digest(tools), dev.requirements_digest(base)
    base.write_text("Django==5.3\n")
    after = dev.requirements_digest(tools), dev.requirements_digest(base)
    assert before[0] != after[0] and before[1] != after[1]
    monkeypatch.setattr(dev, "VENV", tmp_path / ".venv")
    assert dev.install_stamp(tools) != dev.install_stamp(base)


def test_the_default_test_set_leaves_out_the_slow_tests(dev: ModuleType) -> None:
    assert dev.pytest_arguments(False, ["-x"]) == ["-m", "not slow", "-x"]
    assert dev.pytest_arguments(True, ["-x"]) == ["-x"]
    # Whoever chooses marks gets exactly those.
    assert dev.pytest_arguments(False, ["-m", "slow"]) == ["-m", "slow"]


def test_slow_is_a_declared_marker() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert any(marker.startswith("slow:") for marker in config["markers"])
    assert "--strict-markers" in config["addopts"]
