"""Memory a server process keeps per request: RSS before and after thousands of requests.

    probe = MemoryProbe(pid=server_pid, base_url="http://127.0.0.1:8000")
    token = probe.login("/api/drf", username="alice", password="...")
    kept = probe.measure(AUTH_ME, "/api/drf", token=token, requests=2000)
    kept.bytes_per_request        # what the process kept, per request

A leak shows as RSS that grows with the number of requests and is never
given back. Each measurement warms up first (caches, pools, lazily imported
modules, the allocator's arenas all settle), then reads the process's
resident set from /proc, sends the requests one after another on one
keep-alive connection, and reads it again. Bytes kept per request is the
difference over the count: a few hundred bytes is the allocator's noise;
a leak of a client object per request is ~17 KB.

Standard library only, so the test suite (tests/unit/benchmarks) and
`manage.py bench_memory` share it.
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import urllib.parse
from dataclasses import dataclass
from typing import Any

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid: int) -> int:
    """The process's resident set size now (Linux /proc)."""
    with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


@dataclass(frozen=True)
class Scenario:
    """One kind of request: `steps` are (method, path under the prefix, JSON body)."""

    key: str
    title: str
    steps: tuple[tuple[str, str, dict[str, Any] | None], ...]
    authenticated: bool = True


AUTH_ME = Scenario("auth_me", "GET /auth/me (Bearer)", (("GET", "/auth/me", None),))
# Two GETs: the first may MISS (after a write elsewhere), the second is a HIT.
CACHED_READ = Scenario(
    "books_cached", "GET /books twice, cache warm",
    (("GET", "/books", None), ("GET", "/books", None)), authenticated=False,
)
# A write and its undo: POST a book, DELETE it ({id} is the created book's id;
# deleting takes an admin).
WRITE = Scenario(
    "books_write", "POST /books, then DELETE it",
    (("POST", "/books", {"title": "Memory probe", "author": "probe", "year": 2024}),
     ("DELETE", "/books/{id}", None)),
)
SCENARIOS = (AUTH_ME, CACHED_READ, WRITE)


@dataclass(frozen=True)
class Kept:
    """One measurement's result."""

    scenario: str
    prefix: str
    requests: int
    rss_before: int
    rss_after: int

    @property
    def bytes_per_request(self) -> float:
        return (self.rss_after - self.rss_before) / self.requests


class MemoryProbe:
    """Sends requests to one server process and reads that process's RSS."""

    def __init__(self, *, pid: int, base_url: str) -> None:
        self.pid = pid
        parts = urllib.parse.urlsplit(base_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self, method: str, path: str, *, token: str | None = None,
        body: dict[str, Any] | None = None, form: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One request on the kept-alive connection; the status and the decoded JSON body."""
        headers = {"Accept": "application/json"}
        data: bytes | None = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a kept-alive connection the server closed: reconnect once
            if self._connection is None:
                self._connection = http.client.HTTPConnection(self._host, self._port, timeout=30)
            try:
                self._connection.request(method, path, body=data, headers=headers)
                response = self._connection.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, json.loads(raw) if raw else None
        raise AssertionError("unreachable")

    def login(self, prefix: str, *, username: str, password: str) -> str:
        status, body = self.request(
            "POST", prefix + "/auth/token",
            form={"grant_type": "password", "username": username, "password": password},
        )
        if status != 200:
            raise RuntimeError(f"login at {prefix} answered {status}: {body!r:.300}")
        return str(body["access_token"])

    def run(self, scenario: Scenario, prefix: str, *, token: str | None, times: int) -> int:
        """Send the scenario `times` times; the number of requests sent."""
        sent = 0
        for _ in range(times):
            found: dict[str, Any] = {}
            for method, path, body in scenario.steps:
                status, answer = self.request(
                    method, prefix + path.format(**found),
                    token=token if scenario.authenticated else None, body=body,
                )
                if status >= 300:
                    raise RuntimeError(
                        f"{method} {prefix}{path} answered {status}: {answer!r:.300}"
                    )
                if isinstance(answer, dict) and isinstance(answer.get("data"), dict):
                    found.setdefault("id", answer["data"].get("id"))
                sent += 1
        return sent

    def measure(
        self, scenario: Scenario, prefix: str, *, token: str | None, requests: int,
        warmup: int = 300,
    ) -> Kept:
        """Warm up, then `requests` requests (rounded to whole scenarios) between two RSS reads."""
        per_round = len(scenario.steps)
        self.run(scenario, prefix, token=token, times=max(1, warmup // per_round))
        gc.collect()  # this process's garbage is not the server's, but keep the probe quiet
        before = rss_bytes(self.pid)
        sent = self.run(scenario, prefix, token=token, times=max(1, requests // per_round))
        after = rss_bytes(self.pid)
        return Kept(scenario.key, prefix, sent, before, after)


def format_table(results: list[Kept]) -> str:
    """One row per measurement: RSS before and after, bytes kept per request."""
    lines = [
        f"{'scenario':<14} {'prefix':<14} {'requests':>8} {'RSS before':>12} "
        f"{'RSS after':>12} {'kept/request':>13}",
    ]
    for kept in results:
        lines.append(
            f"{kept.scenario:<14} {kept.prefix:<14} {kept.requests:>8,} "
            f"{kept.rss_before / 2**20:>9.1f} MB {kept.rss_after / 2**20:>9.1f} MB "
            f"{kept.bytes_per_request:>11,.0f} B"
        )
    return "\n".join(lines)
