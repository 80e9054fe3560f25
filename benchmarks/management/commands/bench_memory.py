"""`manage.py bench_memory`: bytes a server process keeps per request, at every prefix.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python manage.py bench_memory                  # 5,000 requests a row
    ... manage.py bench_memory --embedded --requests 2000        # the embedded default

It migrates and seeds the database it is pointed at (give it one of its
own), starts `uvicorn config.asgi:application` (one worker) on a free
loopback port, and for each prefix measures an authenticated read
(`/auth/me`), a cached read (`GET /books` twice) and a write (`POST /books`
then `DELETE`): warm-up, then `--requests` requests between two readings of
the server's RSS (benchmarks/memory.py). Prints one table. A process that
keeps more than about 2 KB per request is leaking; the test suite holds the
three to that (tests/contract/test_memory_per_request.py).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks.memory import SCENARIOS, Kept, MemoryProbe, format_table
from benchmarks.runner import RAISED_RATE_LIMIT
from benchmarks.scenarios import PREFIXES
from benchmarks.servers import UvicornServer
from books.management.commands.seed_demo import DEMO_USERS

USERNAME = "admin"


class Command(BaseCommand):
    help = "Measure the memory a server process keeps per request, at every prefix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=5000, help="requests per row")
        parser.add_argument("--warmup", type=int, default=500, help="requests before measuring")
        parser.add_argument(
            "--embedded", action="store_true",
            help="allow the embedded default (SQLite, file cache) when DATABASE_URL/REDIS_URL "
                 "are unset",
        )
        parser.add_argument("--only", default="", help="comma list of scenarios: "
                            + ", ".join(s.key for s in SCENARIOS))

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["embedded"] and not (
            os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")
        ):
            raise CommandError(
                "bench_memory measures the production set-up: set DATABASE_URL (a database "
                "of its own: it is migrated and seeded) and REDIS_URL, or pass --embedded."
            )
        only = {k.strip() for k in options["only"].split(",") if k.strip()}
        chosen = [s for s in SCENARIOS if not only or s.key in only]
        if not chosen:
            raise CommandError(f"--only names no scenario of {[s.key for s in SCENARIOS]}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", stdout=StringIO())
        # The admin: the write scenario deletes what it created.
        password = next(u.password for u in DEMO_USERS if u.username == USERNAME)
        env = {k: v for k, v in os.environ.items() if k not in ("TESTING", "DEBUG")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
            JWT_SIGNING_KEY=os.environ.get("JWT_SIGNING_KEY") or secrets.token_urlsafe(48),
            RATE_LIMIT_ANON=RAISED_RATE_LIMIT,
            RATE_LIMIT_USER=RAISED_RATE_LIMIT,
            LOG_LEVEL="WARNING",
        )
        results: list[Kept] = []
        with tempfile.TemporaryDirectory(prefix="bench-memory-") as scratch:
            server = UvicornServer("config.asgi:application", env=env, ready_path="/health",
                                   log_file=Path(scratch) / "server.log")
            with server:
                assert server._process is not None
                probe = MemoryProbe(pid=server._process.pid, base_url=server.url(""))
                try:
                    for prefix in PREFIXES.values():
                        token = probe.login(prefix, username=USERNAME, password=password)
                        for scenario in chosen:
                            kept = probe.measure(scenario, prefix, token=token,
                                                 requests=options["requests"],
                                                 warmup=options["warmup"])
                            self.stdout.write(format_table([kept]).splitlines()[1])
                            results.append(kept)
                finally:
                    probe.close()
        backend = "postgresql+redis" if os.environ.get("REDIS_URL") else "embedded"
        self.stdout.write(f"\none uvicorn worker, {backend}, one keep-alive connection:")
        self.stdout.write(format_table(results))
