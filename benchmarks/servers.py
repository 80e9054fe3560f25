"""Start and stop one `uvicorn` process on a free port, the way production runs.

    with UvicornServer("config.asgi:application", env=env, workers=2) as server:
        server.url("/api/flask/books")

Every server of a run (the project and each bare app) gets the same uvicorn
options: one host, `--workers N`, no access log, warnings only. Only the
application differs, which is what the comparison is about.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class UvicornServer:
    """A uvicorn child process; a context manager that always stops it."""

    # Seconds to wait for the first answer: Django's start-up, plus N workers.
    start_timeout = 60.0

    def __init__(
        self,
        app: str,
        *,
        env: dict[str, str],
        workers: int = 1,
        factory: bool = False,
        ready_path: str = "/",
        log_file: Path | None = None,
    ) -> None:
        self.app = app
        self.env = env
        self.workers = workers
        self.factory = factory
        self.ready_path = ready_path
        # The server's own output (warnings about requests wrk cut off, 429
        # log lines) goes here, not between the progress lines.
        self.log_file = log_file
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def argv(self) -> list[str]:
        argv = [
            sys.executable, "-m", "uvicorn", self.app,
            "--host", HOST, "--port", str(self.port),
            "--workers", str(self.workers),
            "--log-level", "warning", "--no-access-log",
        ]
        if self.factory:
            argv.append("--factory")
        return argv

    def start(self) -> None:
        output = self.log_file.open("ab") if self.log_file else None
        try:
            self._process = subprocess.Popen(
                self.argv(), cwd=ROOT, env=self.env, stdout=output, stderr=output
            )
        finally:
            if output:
                output.close()  # the child holds its own copy
        self._wait_until_answering()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None

    def _wait_until_answering(self) -> None:
        # Any HTTP answer (even a 404) means the app is loaded and serving.
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"{self.app} exited with {self._process.returncode}{self._log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url(self.ready_path), timeout=2):
                    return
            except urllib.error.HTTPError:
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"{self.app} did not answer within {self.start_timeout:.0f} s{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 20) -> str:
        if not self.log_file or not self.log_file.exists():
            return ""
        tail = self.log_file.read_text(errors="replace").splitlines()[-lines:]
        return f"; the end of {self.log_file}:\n" + "\n".join(tail)

    def __enter__(self) -> UvicornServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
