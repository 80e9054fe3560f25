"""Real processes for the tests: uvicorn servers and manage.py commands on this run's data.

Every process started here gets the test process's database (the test
database pytest-django created, not the development one), its signing keys
(a token issued by one process checks in another) and, on the embedded
default, its cache directory (settings.CACHE_DIR, private to this run).

    with UvicornServer(extra_env={"RATE_LIMIT_ANON": "5/hour"}, workers=2) as server:
        httpx.get(f"{server.base_url}/api/fastapi/books")
    manage("unlock", "--username", "alice")
    with MailWorker(process_env({"EMAIL_URL": "file:///tmp/mail"})) as worker:
        ...  # `manage.py db_worker` sends the emails stored as jobs

A server whose environment sets EMAIL_URL (a test that reads its emails)
gets a mail worker beside it, as `dev.py serve` and the systemd topology
run one: with MAIL_QUEUE=tasks (the default) a server only stores emails.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import httpx
from django.conf import settings
from django.db import connection

from tests.support.network import free_port

# Every access log line starts with the pid of the worker that answered.
_ACCESS_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"access": {"format": "%(process)d %(message)s"}},
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {"uvicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False}},
}
_ACCESS_LINE = re.compile(r'^(?P<pid>\d+) \S+ - "(?P<method>\S+) (?P<path>\S+) HTTP')


def this_run_database_url() -> str:
    """A DATABASE_URL naming the database this test run uses."""
    config = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{config['NAME']}"
    if connection.vendor == "postgresql":
        credentials = quote(config["USER"] or "", safe="")
        if config["PASSWORD"]:
            credentials += ":" + quote(config["PASSWORD"], safe="")
        return (
            f"postgres://{credentials}@{config['HOST'] or '127.0.0.1'}:"
            f"{config['PORT'] or 5432}/{config['NAME']}"
        )
    raise NotImplementedError(f"no URL for a {connection.vendor} test database")


def process_env(extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child process sharing this run's database, keys and cache."""
    env = {
        **os.environ,
        "TESTING": "1",
        "DATABASE_URL": this_run_database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "JWT_SIGNING_KEY": settings.JWT_SIGNING_KEY,
        "PYTHONUNBUFFERED": "1",
    }
    cache_dir = getattr(settings, "CACHE_DIR", None)
    if cache_dir is not None:
        env["CACHE_DIR"] = str(cache_dir)
    env.update(extra_env or {})
    return env


def manage(*args: str, extra_env: dict[str, str] | None = None) -> str:
    """Run `manage.py <args>` as its own process; its stdout. Fails the test on an error."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR, env=process_env(extra_env),
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class MailWorker:
    """`manage.py db_worker` with `env`, as a context manager: sends the emails stored as jobs.

    `kill()` ends it as a crash would (SIGKILL); `start()` again is a new worker.
    """

    # Looks for due jobs every 0.2 s: tests wait less than with the shipped 1 s.
    COMMAND = (sys.executable, "manage.py", "db_worker", "--no-reload",
               "--no-startup-delay", "--interval", "0.2")

    def __init__(self, env: dict[str, str], *, cwd: Path | str | None = None,
                 log_path: Path | None = None, command: list[str] | None = None) -> None:
        self.env = env
        self.command = list(command or self.COMMAND)
        self.cwd = cwd or settings.BASE_DIR
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MailWorker:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        command = self.command
        if self.log_path is None:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL
            )
            return
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM: the worker ends the job in hand, then exits (killed if it takes 30 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


class UvicornServer:
    """`uvicorn config.asgi:application` on a free port, as a context manager.

    Waits until it answers; `answering_pids()` reads the access log to tell
    which worker processes answered which paths. `mail_worker`: start a
    `MailWorker` beside it (None: when `extra_env` sets EMAIL_URL).
    """

    def __init__(
        self, *, extra_env: dict[str, str] | None = None, workers: int = 1,
        mail_worker: bool | None = None,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = process_env(extra_env)
        self._dir = tempfile.TemporaryDirectory(prefix="uvicorn-")
        self.log_path = Path(self._dir.name) / "access.log"
        self._process: subprocess.Popen[bytes] | None = None
        wants_worker = "EMAIL_URL" in (extra_env or {}) if mail_worker is None else mail_worker
        self.mail_worker = MailWorker(self.env) if wants_worker else None

    def __enter__(self) -> UvicornServer:
        log_config = Path(self._dir.name) / "log-config.json"
        log_config.write_text(json.dumps(_ACCESS_LOG_CONFIG))
        command = [
            sys.executable, "-m", "uvicorn", "config.asgi:application",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(self.workers),
            # As production runs it: the edge alone decides which forwarded headers count.
            "--no-proxy-headers",
            "--log-config", str(log_config), "--log-level", "info",
        ]
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=self.env, stdout=log
            )
        try:
            if self.mail_worker is not None:
                self.mail_worker.start()
            self._wait_until_up()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=30)
        if self.mail_worker is not None:
            self.mail_worker.stop()
        self._dir.cleanup()

    def answering_pids(self, path_contains: str = "") -> list[int]:
        """The worker pid of each logged request whose path contains `path_contains`."""
        pids = []
        for line in self.log_path.read_text().splitlines():
            match = _ACCESS_LINE.match(line)
            if match and path_contains in match["path"]:
                pids.append(int(match["pid"]))
        return pids

    def _wait_until_up(self, deadline_s: float = 60.0) -> None:
        """Until every worker has answered the (unlimited) health check."""
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            assert self._process is not None and self._process.poll() is None, "server exited"
            try:
                httpx.get(f"{self.base_url}/api/fastapi/health", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            if len(set(self.answering_pids("/health"))) >= self.workers:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.workers} worker(s) at {self.base_url} did not all answer")
