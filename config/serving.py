"""How the project is served: the uvicorn command line, in one place.

    server_command(sys.executable, host="127.0.0.1", port=8000)

`python3 dev.py serve` and `manage.py runserver` (config/management/commands)
start the same server with it. Standard library only: dev.py imports it
before anything is installed.
"""

from __future__ import annotations

from pathlib import Path


def server_command(python: str | Path, *, host: str, port: int, workers: int = 1) -> list[str]:
    """The uvicorn command line that serves the project.

    `--no-proxy-headers`: by default uvicorn believes X-Forwarded-For and
    X-Forwarded-Proto from 127.0.0.1 (its --forwarded-allow-ips) and rewrites
    the client address before the app sees it, so anyone on the machine, or
    any local process relaying requests, could pick the address that rate
    limits and lockouts count. The project decides that itself, from one
    setting: TRUSTED_PROXIES, read by the edge (common/asgi/edge.py) for the
    client address and the scheme alike.

    `--http common.asgi.http_protocol:EdgeHttpProtocol`: uvicorn's httptools
    protocol with a chunked body's trailer kept out of the headers, a time
    and size bound on every request head, and parse errors answered in the
    envelope (that module says why). `--timeout-keep-alive 5`: an idle
    kept-alive connection is closed after 5 s (uvicorn's default, said here
    because it is a bound this server relies on).
    `--timeout-graceful-shutdown`: on exit, requests in flight get this long.
    """
    return [
        str(python), "-m", "uvicorn", "config.asgi:application",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--no-proxy-headers",
        "--http", "common.asgi.http_protocol:EdgeHttpProtocol",
        "--timeout-keep-alive", "5",
        "--timeout-graceful-shutdown", "20",
        # The project logs one line per request itself (common/asgi/request_log.py).
        "--no-access-log",
    ]
