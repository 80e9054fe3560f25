"""A free loopback port, and waiting until a server at a URL answers.

Every test that starts a real server uses these two, so "started" means the
same thing everywhere: the process is alive and answered an HTTP request
(any status: a 503 from /health is an answer).
"""

from __future__ import annotations

import socket
import subprocess
import time

import httpx

START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_answering(
    url: str,
    process: subprocess.Popen[bytes] | None = None,
    timeout_s: float = START_TIMEOUT_S,
) -> httpx.Response:
    """GET `url` until it answers; fails at once if `process` exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} while starting")
        try:
            return httpx.get(url, timeout=2)
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout_s:.0f} s")
