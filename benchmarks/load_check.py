#!/usr/bin/env python3
"""Load check: N concurrent clients against each prefix's /books, on a real server.

    DATABASE_URL=postgres://root@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python benchmarks/load_check.py --seconds 30 --connections 32

It migrates and seeds the database named by DATABASE_URL, starts
`uvicorn config.asgi:application` on 127.0.0.1 (one worker), runs `wrk`
(Debian package `wrk`) against each path in turn while sampling PostgreSQL's
connection count for that database every 0.2 s, and prints one table:
requests/s, non-2xx responses, socket errors, and the most PostgreSQL
connections seen against the pool's maximum.

What it checks (issues 2 and 4): zero 5xx under load, and the database's
connection count never above DB_POOL_MAX_SIZE (Django under ASGIHandler with
persistent connections leaks one per request; see the README).
Rate limits are raised for the run so the limiter does not answer 429s.
Traffic goes to 127.0.0.1 only, and every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start on port {port}")


class ConnectionSampler(threading.Thread):
    """Samples `pg_stat_activity` for one database until stopped."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.database = urlparse(database_url).path.lstrip("/")
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop_event.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.database,),
                ).fetchone()
                self.peak = max(self.peak, row[0] if row else 0)
                time.sleep(0.2)

    def stop(self) -> int:
        self._stop_event.set()
        self.join(timeout=5)
        return self.peak


def wrk_field(pattern: str, out: str) -> str:
    """The first group of `pattern` in wrk's output; an error naming it when wrk printed none."""
    match = re.search(pattern, out)
    if match is None:
        raise RuntimeError(f"no {pattern!r} in wrk's output:\n{out}")
    return match.group(1)


def run_wrk(url: str, seconds: int, connections: int) -> dict[str, float]:
    completed = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )
    out = completed.stdout
    rps = float(wrk_field(r"Requests/sec:\s+([\d.]+)", out))
    total = int(wrk_field(r"(\d+) requests in", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99_ms = 0.0
    if p99:
        value, unit = float(p99.group(1)), p99.group(2)
        p99_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return {
        "rps": rps,
        "requests": total,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "p99_ms": p99_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--paths", default="/api/drf/books,/api/fastapi/books",
        help="comma list of paths to load, one run each",
    )
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    database_url = os.environ.get("DATABASE_URL", "")
    env = dict(
        os.environ,
        DEV_SERVER="1",
        RATE_LIMIT_ANON="100000000/minute",
        RATE_LIMIT_USER="100000000/minute",
        LOG_LEVEL="WARNING",
    )
    pool_max = int(env.get("DB_POOL_MAX_SIZE", "10"))

    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run([PYTHON, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)

    port = free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )
    rows = []
    try:
        wait_until_serving(port)
        for path in [p.strip() for p in args.paths.split(",") if p.strip()]:
            url = f"http://127.0.0.1:{port}{path}"
            on_postgres = database_url.startswith("postgres")
            sampler = ConnectionSampler(database_url) if on_postgres else None
            if sampler:
                sampler.start()
            result = run_wrk(url, args.seconds, args.connections)
            peak = sampler.stop() if sampler else None
            rows.append((path, result, peak))
    finally:
        server.terminate()
        server.wait(timeout=15)

    backend = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"\n{args.connections} connections, {args.seconds} s each, one uvicorn worker, {backend}")
    header = f"{'path':<22}{'req/s':>9}{'requests':>10}{'non-2xx':>9}{'sock err':>9}{'p99 ms':>9}"
    header += f"{'peak PG conns':>15}"
    print(header)
    print("-" * len(header))
    for path, result, peak in rows:
        peak_text = f"{peak} / {pool_max}" if peak is not None else "n/a"
        print(
            f"{path:<22}{result['rps']:>9.0f}{result['requests']:>10}{result['non_2xx']:>9}"
            f"{result['socket_errors']:>9}{result['p99_ms']:>9.1f}{peak_text:>15}"
        )
    failed = any(r["non_2xx"] or r["socket_errors"] for _, r, _ in rows) or any(
        peak is not None and peak > pool_max for _, _, peak in rows
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
