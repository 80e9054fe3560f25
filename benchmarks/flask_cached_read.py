#!/usr/bin/env python3
"""What Flask's one-round-trip cached read buys over the idiomatic decorators, in process.

    DATABASE_URL=postgres://... REDIS_URL=redis://... \
        .venv/bin/python benchmarks/flask_cached_read.py --requests 1000 --rounds 6

Three ways to answer a warm `GET /api/flask/books` HIT, each driven through
the Flask app's WSGI callable on this thread (no server, no network: the
numbers are the app's own cost per request, Redis round trips included):

- `fast_read`: the shipped view, `@cached_read` (mounted_apis/flask_app/fast_read.py):
  the limiter's count, the books version and the stored page in one Redis
  transaction;
- `idiomatic`: what a Flask user writes: `@rate_limited()` (the limiter's own
  round trip), then the version and the page read with two more cache calls;
- `spectree wrapper outside`: the shipped view with `@documented`'s wrapper
  (spectree's `validate`, which calls through and rebuilds the response)
  above `@cached_read` instead of below it, so a HIT goes through it too;
- `ensure_sync memo`: the shipped view on a Flask subclass that remembers
  `ensure_sync`'s answer per function (Flask asks it for the view and each
  hook on every request).

Rounds are interleaved; reported per request: the wall time (minimum and
median: on a shared machine only the minimum compares like with like) and
the CPU time of this thread (minimum), which waiting for Redis does not
count: what a variant costs the worker.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEV_SERVER", "1")
os.environ.setdefault("RATE_LIMIT_ANON", "1000000000/minute")

import django  # noqa: E402

django.setup()

from flask import Flask, Response, current_app, request  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

import mounted_apis.flask_app as flask_app  # noqa: E402
from books.cache import StoredPage, book_cache  # noqa: E402
from common import redis_client  # noqa: E402
from mounted_apis.flask_app.blueprints import books  # noqa: E402
from mounted_apis.flask_app.fast_read import cached_read  # noqa: E402
from mounted_apis.flask_app.openapi import answers, documented  # noqa: E402
from mounted_apis.flask_app.ratelimit import rate_limited  # noqa: E402
from mounted_apis.flask_app.schemas import BookListQuery, BooksPage  # noqa: E402

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Any]


def idiomatic_cached(view: Callable[..., Any]) -> Callable[..., Any]:
    """Version, then page: two cache calls after the limiter's own."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Any:
        version = book_cache.version()
        key = book_cache.page_key(request.url)
        (raw,) = redis_client.get_many([key])
        page = StoredPage.decode(raw)
        if page is not None and page.version == version:
            return Response(page.body, mimetype="application/json", headers={"X-Cache": "HIT"})
        response = current_app.make_response(view(**kwargs))
        if response.status_code == 200 and version is not None:
            book_cache.store(key, StoredPage(version, response.get_data()))
        response.headers["X-Cache"] = "MISS"
        return response

    return wrapped


def idiomatic_app() -> Flask:
    app = flask_app.create_app()
    # The view itself, under @cached_read and @documented (functools.wraps keeps it).
    undecorated = books.list_books.__wrapped__.__wrapped__  # type: ignore[attr-defined]
    app.view_functions["books.list_books"] = rate_limited()(idiomatic_cached(undecorated))
    return app


def spectree_outside_app() -> Flask:
    app = flask_app.create_app()
    # spectree's wrapper (under @cached_read, as functools.wraps keeps it), rebuilt
    # around the whole cached read.
    documented_view = books.list_books.__wrapped__  # type: ignore[attr-defined]
    view = documented_view.__wrapped__
    app.view_functions["books.list_books"] = documented(
        "books", auth="optional", query=BookListQuery,
        resp=answers((200, BooksPage, "One page of books."), 401, 422, 429, 503),
    )(cached_read(view))
    return app


def memo_app() -> Flask:
    class RememberedSync(flask_app.ContractFlask):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

        def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
            sync = self._sync.get(func)
            if sync is None:
                sync = self._sync[func] = super().ensure_sync(func)
            return sync

    shipped = flask_app.ContractFlask
    flask_app.ContractFlask = RememberedSync  # type: ignore[misc]
    try:
        return flask_app.create_app()
    finally:
        flask_app.ContractFlask = shipped  # type: ignore[misc]


def per_request_us(app: WSGI, environ: dict[str, Any], requests: int) -> tuple[float, float]:
    """(wall, CPU) microseconds per request; CPU is this thread's, Redis's wait left out."""

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        return None

    started, cpu_started = time.perf_counter(), time.thread_time()
    for _ in range(requests):
        b"".join(app(dict(environ), start_response))
    wall = (time.perf_counter() - started) / requests * 1e6
    return wall, (time.thread_time() - cpu_started) / requests * 1e6


def answer(app: WSGI, environ: dict[str, Any]) -> str:
    seen: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        seen.append(f"{status} X-Cache={dict(headers).get('X-Cache')}")

    b"".join(app(dict(environ), start_response))
    return seen[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    options = parser.parse_args()
    environ = EnvironBuilder(path="/books", base_url="http://localhost/api/flask").get_environ()
    apps = {"fast_read": flask_app.create_app(), "idiomatic": idiomatic_app(),
            "spectree outside": spectree_outside_app(), "ensure_sync memo": memo_app()}
    for name, app in apps.items():
        per_request_us(app, environ, 200)  # warm: the page is stored, pools are open
        print(f"{name:20} answers {answer(app, environ)}")
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    for _ in range(options.rounds):
        for name, app in apps.items():
            results[name].append(per_request_us(app, environ, options.requests))
    print(f"{'variant':20} {'wall min us':>12} {'wall median':>12} {'CPU min us':>11}")
    for name, values in results.items():
        walls, cpus = [wall for wall, _ in values], [cpu for _, cpu in values]
        print(f"{name:20} {min(walls):12.1f} {statistics.median(walls):12.1f} {min(cpus):11.1f}")


if __name__ == "__main__":
    main()
