#!/usr/bin/env python3
"""Where one cached `GET /books` spends its time, per framework: a table by layer.

    DATABASE_URL=postgres://... REDIS_URL=redis://... \
        .venv/bin/python benchmarks/profile_cached_read.py --requests 2000

Each framework is driven in-process, on the main thread, so cProfile sees
every call: FastAPI through the composed ASGI app (the whole stack a request
crosses: request id, host check, docs CSP, metrics, the dispatcher, FastAPI),
Flask and DRF through their WSGI apps directly (a2wsgi's thread hop is left
out: it is the same for both, and cProfile cannot follow it). Every request
is a warm cache HIT, anonymous or with a Bearer token (`--auth`).

The table attributes each function's own CPU time (cProfile's tottime, timed
with the thread's CPU clock, so waiting for Redis counts for nothing) to the
package its code lives in, so "redis" is redis-py's own work, "socket" the
system calls under it, "project" this repository's code, and so on. Absolute
microseconds include cProfile's overhead (roughly 2x); the shares are what to
read.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEV_SERVER", "1")
os.environ.setdefault("RATE_LIMIT_ANON", "1000000000/minute")
os.environ.setdefault("RATE_LIMIT_USER", "1000000000/minute")
os.environ.setdefault("LOG_LEVEL", "WARNING")

# Layers, matched in order against a function's file path.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("redis", ("/redis/",)),
    ("DRF", ("/rest_framework/", "/drf_spectacular/")),
    ("django-filter", ("/django_filters/",)),
    ("Django", ("/django/",)),
    ("FastAPI", ("/fastapi/",)),
    ("Starlette", ("/starlette/",)),
    ("Pydantic", ("/pydantic",)),
    ("Flask/Werkzeug", ("/flask/", "/werkzeug/")),
    ("PyJWT", ("/jwt/",)),
    ("asyncio", ("/asyncio/",)),
    ("project", tuple(f"{ROOT}/{d}/" for d in (
        "accounts", "books", "common", "config", "throttling", "mounted_apis"))),
]


def layer_of(filename: str, function: str) -> str:
    if filename == "~":  # a C function: name it by what it is
        if "socket" in function or "select" in function or "epoll" in function:
            return "socket"
        return "builtins"
    for name, markers in LAYERS:
        if any(marker in filename for marker in markers):
            return name
    return "stdlib/other"


def by_layer(profile: cProfile.Profile) -> dict[str, float]:
    stats = pstats.Stats(profile)
    totals: dict[str, float] = defaultdict(float)
    # Stats fills `.stats` ({(file, line, function): timings}); typeshed leaves it out.
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        totals[layer_of(filename, function)] += tottime
    return totals


def wsgi_caller(app: Callable[..., Any], script_name: str, path: str,
                headers: dict[str, str]) -> Callable[[], int]:
    environ_base = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": script_name, "PATH_INFO": path,
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": None, "wsgi.errors": sys.stderr, "wsgi.multithread": True,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.version": (1, 0),
        "HTTP_HOST": "127.0.0.1:8000",
    }
    for name, value in headers.items():
        environ_base["HTTP_" + name.upper().replace("-", "_")] = value

    def call() -> int:
        import io

        status: list[str] = []
        environ = dict(environ_base, **{"wsgi.input": io.BytesIO(b"")})
        body = app(environ, lambda s, h, exc=None: status.append(s))
        b"".join(body)
        if hasattr(body, "close"):
            body.close()
        return int(status[0].split()[0])

    return call


def asgi_caller(app: Any, path: str, headers: dict[str, str]) -> Callable[[], int]:
    loop = asyncio.new_event_loop()
    raw_headers = [(b"host", b"127.0.0.1:8000")] + [
        (k.lower().encode(), v.encode()) for k, v in headers.items()
    ]

    async def one() -> int:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "root_path": "", "query_string": b"", "headers": raw_headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status

    return lambda: loop.run_until_complete(one())


def login_header(asgi_app: Any) -> dict[str, str]:
    import json
    from urllib.parse import urlencode

    loop = asyncio.new_event_loop()
    body = urlencode({"username": "alice", "password": "Looking-Glass-7316"}).encode()
    chunks: list[bytes] = []

    async def post() -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/api/fastapi/auth/token",
            "raw_path": b"/api/fastapi/auth/token", "root_path": "", "query_string": b"",
            "headers": [(b"host", b"127.0.0.1:8000"),
                        (b"content-type", b"application/x-www-form-urlencoded")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await asgi_app(scope, receive, send)

    loop.run_until_complete(post())
    token = json.loads(b"".join(chunks))["access_token"]
    return {"Authorization": f"Bearer {token}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--auth", action="store_true", help="send a Bearer token")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", verbosity=0)

    from django.core.wsgi import get_wsgi_application

    from config.asgi import application
    from mounted_apis.flask_app import create_app

    headers = login_header(application) if args.auth else {}
    callers = {
        "DRF": wsgi_caller(get_wsgi_application(), "", "/api/drf/books", headers),
        "FastAPI": asgi_caller(application, "/api/fastapi/books", headers),
        "Flask": wsgi_caller(create_app(), "/api/flask", "/books", headers),
    }
    results: dict[str, tuple[float, dict[str, float]]] = {}
    for name, call in callers.items():
        for _ in range(50):  # warm: first MISS, snapshots, connections
            assert call() == 200
        started = time.process_time()
        for _ in range(args.requests):
            call()
        plain_us = (time.process_time() - started) / args.requests * 1e6
        # CPU time, not wall time: waiting for Redis overlaps with other
        # requests under load and costs the server nothing.
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        for _ in range(args.requests):
            call()
        profile.disable()
        results[name] = (plain_us, by_layer(profile))

    layers = sorted({layer for _, shares in results.values() for layer in shares},
                    key=lambda layer: -sum(r[1].get(layer, 0) for r in results.values()))
    kind = "authenticated" if args.auth else "anonymous"
    print(f"\nOne cached GET /books ({kind}), in-process, {args.requests} requests each")
    print(f"{'':16}" + "".join(f"{name:>10}" for name in results))
    print(f"{'CPU µs/request':16}" + "".join(f"{r[0]:>10.0f}" for r in results.values()))
    for layer in layers:
        row = ""
        for _name, (_us, shares) in results.items():
            total = sum(shares.values()) or 1.0
            row += f"{100 * shares.get(layer, 0.0) / total:>9.0f}%"
        print(f"{layer:16}{row}")


if __name__ == "__main__":
    main()
