#!/usr/bin/env python3
"""What the FastAPI prefix's speed module buys: a cached read, the idiom against fast_read.py.

    DATABASE_URL=postgres://... REDIS_URL=redis://... \\
        .venv/bin/python benchmarks/fastapi_idiom_cost.py --requests 2000

Two routes answer the same warm cache HIT of `GET /books`, in process, one
request at a time, straight into the FastAPI app (the edge and the mount
cost the same for both and are left out):

    fast_read   the project's route (`CachedReadRoute`): one Redis round trip on
                the event loop (budget, version, page, token snapshot), the
                HIT answered before FastAPI solves any dependency
    idiomatic   the same checks as ordinary dependencies: `rate_limit`
                (one Redis call), `user: OptionalUser` (the token's login in the
                database when a token is sent), `query: BookQueryParams` (the
                query model), then the version and the page read in a worker
                thread

Each is timed anonymous and with a Bearer token; the table gives the mean
CPU and wall-clock microseconds per request (each the best of three rounds)
and the ratio; the HTTP client's own work is in both columns. The
rate limit is raised so no request is refused; the database must be
migrated (`manage.py migrate`), and a user `bench-idiom` is created in it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Annotated

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEV_SERVER", "1")
os.environ["RATE_LIMIT_ANON"] = "1000000000/minute"
os.environ["RATE_LIMIT_USER"] = "1000000000/minute"

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from fastapi import Depends, Request, Response  # noqa: E402

from books.cache import StoredPage, book_cache  # noqa: E402
from common import redis_client  # noqa: E402
from mounted_apis.fastapi_app.db import run_sync  # noqa: E402
from mounted_apis.fastapi_app.deps import (  # noqa: E402
    BookQueryParams,
    OptionalUser,
    rate_limit,
)
from mounted_apis.fastapi_app.main import create_app  # noqa: E402

LIST_URL = "http://testserver/api/fastapi/books?page=1"
IDIOM_PATH = "/books-idiomatic"


def _read_page(url: str) -> StoredPage | None:
    """The version, then the page: two cache calls, as a plain cache lookup makes them."""
    version = book_cache.version()
    (raw,) = redis_client.get_many([book_cache.page_key(url)])
    page = StoredPage.decode(raw)
    return page if page is not None and page.version == version else None


async def stored_page(request: Request) -> StoredPage | None:
    # The real list's key, so the page the fast route stored is found here too.
    return await run_sync(_read_page, str(request.url).replace(IDIOM_PATH, "/books"))


def build_app():  # type: ignore[no-untyped-def]
    app = create_app()

    @app.get(IDIOM_PATH, dependencies=[Depends(rate_limit)])
    async def idiomatic(
        user: OptionalUser,
        query: BookQueryParams,
        page: Annotated[StoredPage | None, Depends(stored_page)],
    ) -> Response:
        assert page is not None, "warm the cache first"
        return Response(page.body, media_type="application/json", headers={"X-Cache": "HIT"})

    return app


async def _token(client: httpx.AsyncClient) -> str:
    from accounts.models import User

    password = "Bench-Idiom-Lantern-42"
    user, _ = await asyncio.to_thread(User.objects.get_or_create, username="bench-idiom",
                                      defaults={"email": "bench-idiom@example.com"})
    user.set_password(password)
    await asyncio.to_thread(user.save)
    response = await client.post("/auth/token",
                                 data={"username": "bench-idiom", "password": password})
    response.raise_for_status()
    return str(response.json()["access_token"])


async def _time(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], n: int
) -> tuple[float, float]:
    """(wall, CPU) microseconds per request, each the best of three rounds.

    CPU is the process's (every thread's), so a busy machine inflates it far
    less than the wall clock; the wall clock also counts the round trips.
    """
    best_wall = best_cpu = float("inf")
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            response = await client.get(path, headers=headers)
            assert response.status_code == 200 and response.headers["X-Cache"] == "HIT", (
                path, response.status_code, response.text[:200])
        best_wall = min(best_wall, (time.perf_counter() - wall) / n * 1e6)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / n * 1e6)
    return best_wall, best_cpu


async def main(n: int) -> None:
    app = build_app()
    transport = httpx.ASGITransport(app=app, root_path="/api/fastapi")
    async with httpx.AsyncClient(transport=transport,
                                 base_url="http://testserver/api/fastapi") as client:
        token = await _token(client)
        bearer = {"Authorization": f"Bearer {token}"}
        await client.get("/books?page=1")  # a MISS: stores the page
        rows = []
        for who, headers in (("anonymous", {}), ("Bearer token", bearer)):
            fast = await _time(client, "/books?page=1", headers, n)
            idiom = await _time(client, f"{IDIOM_PATH}?page=1", headers, n)
            rows.append((who, fast, idiom))
    print("| cached GET /books (HIT), per request | fast_read.py | idiomatic | idiom / fast |")
    print("|---|---|---|---|")
    for who, (fast_wall, fast_cpu), (idiom_wall, idiom_cpu) in rows:
        print(f"| {who}, CPU | {fast_cpu:,.0f} µs | {idiom_cpu:,.0f} µs "
              f"| {idiom_cpu / fast_cpu:.2f}× |")
        print(f"| {who}, wall clock | {fast_wall:,.0f} µs | {idiom_wall:,.0f} µs "
              f"| {idiom_wall / fast_wall:.2f}× |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per round")
    asyncio.run(main(parser.parse_args().requests))
