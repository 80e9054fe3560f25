"""What `manage.py bench` measures: each scenario, at each prefix.

A scenario is a path under the prefix plus how wrk sends it. Paths may name
values the run discovers first (`{book_id}`, `{search_term}`,
`{deep_cursor}`); a scenario whose value could not be found is skipped with
a line saying why. Rate limits are raised for the whole run (RATE_LIMIT_ANON
and RATE_LIMIT_USER) except for `rate_limited`, whose demo endpoint has its
own limit (RL_DEMO_PING) so that it measures the limiter saying no.
"""

from __future__ import annotations

import json
import string
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent / "lua"
POST_SCRIPT = LUA_DIR / "post.lua"
CACHE_MISS_SCRIPT = LUA_DIR / "cache_miss_walk.lua"

PREFIXES = {"drf": "/api/drf", "fastapi": "/api/fastapi", "flask": "/api/flask"}

# The user the authenticated scenarios log in as (created by seed_demo).
BENCH_USERNAME = "alice"

# A new book per request; no ISBN, so the unique constraint never refuses one.
CREATE_BODY = json.dumps({"title": "Benchmark book", "author": "wrk", "year": 2024})


@dataclass(frozen=True)
class Scenario:
    """One thing to measure; `path` is relative to the prefix."""

    key: str
    title: str
    path: str
    authenticated: bool = False
    # "get": a plain wrk GET; "cache_miss": a query string that changes per
    # request (lua/cache_miss_walk.lua); "post_json" / "post_form": lua/post.lua.
    mode: str = "get"
    connections: int = 32
    # wrk's own timeout per answer: logins queue behind Argon2 for seconds.
    timeout_s: float = 5.0
    # Part of `--quick`.
    quick: bool = False
    # Needs `manage.py seed_books` (1,000,000 books).
    needs_million: bool = False
    # What the table's req/s column means here, when it is not plain answers/s.
    unit: str = "req/s"

    def needs_discovery(self) -> list[str]:
        """The `{names}` in the path the run must find before it can start."""
        return [name for _, name, _, _ in string.Formatter().parse(self.path) if name]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("list_cached", "GET /books, anonymous, cache warm", "/books", quick=True),
    Scenario(
        "list_uncached", "GET /books, every query new (cache MISS)", "/books",
        mode="cache_miss", quick=True,
    ),
    Scenario("book_detail", "GET /books/{id}, cache warm", "/books/{book_id}"),
    Scenario("auth_me", "GET /auth/me (Bearer)", "/auth/me", authenticated=True, quick=True),
    Scenario(
        "list_cached_auth", "GET /books (Bearer), cache warm", "/books", authenticated=True,
    ),
    Scenario(
        "books_create", "POST /books (Bearer), a new book each", "/books",
        authenticated=True, mode="post_json", quick=True,
    ),
    Scenario(
        "rate_limited", "GET /rl-demo/ping over its limit (429s)", "/rl-demo/ping",
        unit="answers/s",
    ),
    Scenario(
        "login", "POST /auth/token, password grant (Argon2)", "/auth/token",
        mode="post_form", timeout_s=30.0, unit="logins/s",
        # The brute-force guard lets at most LOGIN_MAX_FAILURES (5) attempts
        # per username be in flight; more connections would measure its 429s.
        connections=4,
    ),
    Scenario(
        "search_1m", "GET /books?search=, 1M books, every query new",
        "/books?search={search_term}", mode="cache_miss", needs_million=True,
    ),
    Scenario(
        "cursor_deep_1m", "GET a deep ?cursor= page, 1M books", "{deep_cursor}",
        needs_million=True,
    ),
)


def select(*, quick: bool, only: list[str] | None = None) -> list[Scenario]:
    """The scenarios of this run: `--only` wins, then `--quick`, else all."""
    if only:
        unknown = sorted(set(only) - {s.key for s in SCENARIOS})
        if unknown:
            raise ValueError(f"unknown scenario(s): {', '.join(unknown)}")
        return [s for s in SCENARIOS if s.key in only]
    return [s for s in SCENARIOS if s.quick or not quick]


def login_form(username: str, password: str) -> str:
    return urllib.parse.urlencode(
        {"grant_type": "password", "username": username, "password": password}
    )
