#!/usr/bin/env python3
"""Run Schemathesis against each prefix's own OpenAPI document, on PostgreSQL + Redis.

    .venv/bin/python .ci/run_schemathesis.py          (from .ci/run; needs DATABASE_URL's server)

Steps: a fresh database (dropped afterwards), migrations, one ordinary user
to log in as, a uvicorn server on a free port, then `schemathesis run` with
every check on, once per prefix (the three at the same time), against
`{prefix}/openapi.json`. Exit status: non-zero when any run found a failure.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SCHEMATHESIS = str(ROOT / ".venv" / "bin" / "schemathesis")
PREFIXES = ("/api/drf", "/api/fastapi", "/api/flask")
FUZZ_USERNAME = "fuzzer"
FUZZ_PASSWORD = "Fuzz-Lantern-Quartz-42"
# A large id: generated path ids (small numbers, boundaries) rarely hit it, so
# the run does not delete its own account early; if it does, the hooks log in again.
FUZZ_USER_ID = 987_654_321


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url(base_url: str, name: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def psql(base_url: str, sql: str) -> None:
    subprocess.run(["psql", base_url, "-q", "-c", sql], check=True)


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(100):
        if server.poll() is not None:
            sys.exit("the server exited before answering")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit("the server did not answer /health")


def main() -> int:
    admin_url = os.environ.get("DATABASE_URL", "postgres://root@127.0.0.1:5432/test")
    db_name = f"schemathesis_{os.getpid()}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(admin_url, db_name),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        # Limits stay on (their 429s are documented), but high enough that
        # the run tests the endpoints, not the limiter; demo limits unchanged.
        "RATE_LIMIT_ANON": "100000/minute",
        "RATE_LIMIT_USER": "100000/minute",
        "LOGIN_MAX_FAILURES": "100000",
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        # Hypothesis keeps its example database here, not in the worktree.
        "HYPOTHESIS_STORAGE_DIRECTORY": tempfile.mkdtemp(prefix="hypothesis-"),
        "PYTHONPATH": str(ROOT / ".ci"),
        "FUZZ_USERNAME": FUZZ_USERNAME,
        "FUZZ_PASSWORD": FUZZ_PASSWORD,
    }
    psql(admin_url, f"CREATE DATABASE {db_name}")
    server = None
    started = time.monotonic()
    try:
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        create_user = (
            "from accounts.models import User; "
            f"User.objects.create_user(id={FUZZ_USER_ID}, username={FUZZ_USERNAME!r}, "
            f"email='fuzzer@example.com', password={FUZZ_PASSWORD!r})"
        )
        subprocess.run([PYTHON, "manage.py", "shell", "-c", create_user],
                       cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "config.asgi:application", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=env, stderr=subprocess.DEVNULL,  # 404/422 log lines by the thousand
        )
        wait_until_up(base, server)
        print(f"schemathesis: server up after {time.monotonic() - started:.0f} s", flush=True)
        # The three runs go at once (one server, three documents); each one's
        # output is kept apart and printed whole when it ends.
        chosen = os.environ.get("FUZZ_PREFIXES")
        runs = []
        for prefix in chosen.split(",") if chosen else PREFIXES:
            log = tempfile.TemporaryFile()  # noqa: SIM115  (closed when the run is printed)
            run_env = {**env, "FUZZ_API_BASE": f"{base}{prefix}"}
            command = [
                SCHEMATHESIS, "--config-file", str(ROOT / ".ci" / "schemathesis.toml"),
                "run", f"{base}{prefix}/openapi.json", *sys.argv[1:],
            ]
            process = subprocess.Popen(command, cwd=ROOT, env=run_env, stdout=log,
                                       stderr=subprocess.STDOUT)
            runs.append((prefix, process, log))
        failed = 0
        for prefix, process, log in runs:
            status = process.wait()
            log.seek(0)
            print(f"--- schemathesis: {prefix} (exit {status})", flush=True)
            sys.stdout.buffer.write(log.read())
            sys.stdout.flush()
            log.close()
            failed = failed or status
        print(f"schemathesis: {time.monotonic() - started:.0f} s in all", flush=True)
        return failed
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        psql(admin_url, f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")


if __name__ == "__main__":
    sys.exit(main())
