#!/usr/bin/env python3
"""How should async FastAPI endpoints call the (sync) Django ORM? Measure it.

    DATABASE_URL=postgres://root@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/fastapi_db_strategies.py --seconds 10

For each strategy it starts a fresh `uvicorn` (one worker) serving a tiny
FastAPI app whose one endpoint reads a 20-row page from a scratch table
(`bench_fastapi_db`, created here and dropped at the end), runs
`wrk -t1 -c32` against it while sampling PostgreSQL's connection count for
the database every 0.1 s, and prints one table:

    a      sync_to_async(thread_sensitive=True): one shared thread, never closed
    b      sync_to_async(thread_sensitive=False), connection closed after each call
    b2     mounted_apis.fastapi_app.db.run_db: sync_to_async(thread_sensitive=False)
           on an executor of pool size + close
    b3     anyio thread + close + CapacityLimiter of pool size (run_db's earlier form)
    c      plain `def` route (FastAPI's threadpool), connection never closed
    c2     plain `def` route, connection closed at the end

`--slow-ms N` adds `pg_sleep(N ms)` to each query: a slow query shows what
one shared thread (a) costs. Traffic goes to 127.0.0.1 only; every loop is
bounded in time. The numbers go into db.py's docstring.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEV_SERVER", "1")

TABLE = "bench_fastapi_db"
ROWS = 500
STRATEGIES = {
    "a": "sync_to_async(thread_sensitive=True)",
    "b": "sync_to_async(thread_sensitive=False) + close",
    "b2": "run_db: sync_to_async, pool-sized executor",
    "b3": "anyio thread + close + limiter",
    "c": "plain def route, never closed",
    "c2": "plain def route + close",
}


# --- The app under test (imported by uvicorn as benchmarks.fastapi_db_strategies:app) ---


def build_app():  # noqa: ANN201  (built lazily: Django must be set up first)
    import django

    django.setup()
    import anyio
    import anyio.to_thread
    from asgiref.sync import sync_to_async
    from django.db import connection
    from fastapi import FastAPI

    from common.db import pool_max_size, release_connections
    from mounted_apis.fastapi_app.db import run_db

    slow_ms = int(os.environ.get("BENCH_SLOW_MS", "0"))

    def read_page() -> list[dict]:
        with connection.cursor() as cursor:
            if slow_ms:
                cursor.execute("SELECT pg_sleep(%s)", [slow_ms / 1000])
            cursor.execute(f"SELECT id, title, year FROM {TABLE} ORDER BY id LIMIT 20")
            rows = cursor.fetchall()
        return [{"id": r[0], "title": r[1], "year": r[2]} for r in rows]

    def read_page_and_close() -> list[dict]:
        try:
            return read_page()
        finally:
            release_connections()

    app = FastAPI()

    @app.get("/a")
    async def shared_thread() -> dict:
        return {"data": await sync_to_async(read_page, thread_sensitive=True)()}

    @app.get("/b")
    async def any_thread_closed() -> dict:
        return {"data": await sync_to_async(read_page_and_close, thread_sensitive=False)()}

    @app.get("/b2")
    async def run_db_helper() -> dict:
        return {"data": await run_db(read_page)}

    limiter = anyio.CapacityLimiter(pool_max_size())  # uvicorn runs one event loop

    @app.get("/b3")
    async def anyio_thread_limited() -> dict:
        return {"data": await anyio.to_thread.run_sync(read_page_and_close, limiter=limiter)}

    @app.get("/c")
    def plain_def() -> dict:
        return {"data": read_page()}

    @app.get("/c2")
    def plain_def_closed() -> dict:
        return {"data": read_page_and_close()}

    return app


if os.environ.get("BENCH_SERVE") == "1":
    app = build_app()


# --- The driver ---------------------------------------------------------------------


def _pg():  # noqa: ANN202
    import psycopg

    url = os.environ["DATABASE_URL"]
    return psycopg.connect(url, autocommit=True)


def setup_table() -> None:
    with _pg() as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (id serial primary key, title text, year int)")
        conn.execute(
            f"INSERT INTO {TABLE} (title, year) "
            f"SELECT 'Book ' || g, 1900 + g % 120 FROM generate_series(1, {ROWS}) g"
        )


def drop_table() -> None:
    with _pg() as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("uvicorn did not start")


class ConnectionSampler(threading.Thread):
    """Samples `count(*) FROM pg_stat_activity` for the database until stopped."""

    def __init__(self, dbname: str) -> None:
        super().__init__(daemon=True)
        self.dbname = dbname
        self.maximum = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        with _pg() as conn:
            while not self.stopped.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()",
                    [self.dbname],
                ).fetchone()
                self.maximum = max(self.maximum, int(row[0]))
                self.stopped.wait(0.1)


def wrk_field(pattern: str, out: str) -> str:
    """The first group of `pattern` in wrk's output; an error naming it when wrk printed none."""
    match = re.search(pattern, out)
    if match is None:
        raise RuntimeError(f"no {pattern!r} in wrk's output:\n{out}")
    return match.group(1)


def run_wrk(url: str, seconds: int, connections: int) -> tuple[float, int, int]:
    """(requests/s, non-2xx responses, socket errors) from one wrk run."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "15s", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = float(wrk_field(r"Requests/sec:\s+([\d.]+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(int(g) for g in errors.groups()) if errors else 0
    return rps, int(non_2xx.group(1)) if non_2xx else 0, socket_errors


def measure(strategy: str, args: argparse.Namespace, dbname: str) -> dict:
    port = free_port()
    env = dict(os.environ, BENCH_SERVE="1", BENCH_SLOW_MS=str(args.slow_ms))
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.fastapi_db_strategies:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = ConnectionSampler(dbname)
    try:
        wait_until_up(port, time.monotonic() + 30)
        sampler.start()
        rps, non_2xx, socket_errors = run_wrk(
            f"http://127.0.0.1:{port}/{strategy}", args.seconds, args.connections
        )
        time.sleep(0.3)
        after = sampler.maximum
    finally:
        sampler.stopped.set()
        server.terminate()
        try:
            _, stderr = server.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate()
    # One traceback per failed request; count its last line only.
    timeouts = sum(1 for line in stderr.splitlines() if line.startswith("psycopg_pool.PoolTimeout"))
    return {"rps": rps, "non_2xx": non_2xx, "sock": socket_errors, "max_conns": after,
            "pool_timeouts": timeouts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--slow-ms", type=int, default=0)
    parser.add_argument("--only", nargs="*", choices=sorted(STRATEGIES), default=None)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database.", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk).", file=sys.stderr)
        return 2
    dbname = url.rsplit("/", 1)[-1].split("?")[0]
    pool_max = os.environ.get("DB_POOL_MAX_SIZE", "10")

    setup_table()
    try:
        rows = []
        for strategy in args.only or list(STRATEGIES):
            rows.append((strategy, measure(strategy, args, dbname)))
    finally:
        drop_table()

    print(f"\nwrk -t1 -c{args.connections} -d{args.seconds}s, slow query {args.slow_ms} ms, "
          f"pool max_size {pool_max}")
    print(f"{'':4} {'strategy':48} {'req/s':>8} {'non-2xx':>8} {'sock err':>8} "
          f"{'max PG':>7} {'PoolTimeout':>11}")
    for strategy, r in rows:
        print(f"{strategy:4} {STRATEGIES[strategy]:48} {r['rps']:8.0f} {r['non_2xx']:8d} "
              f"{r['sock']:8d} {r['max_conns']:7d} {r['pool_timeouts']:11d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
