"""The order of one `manage.py bench` run.

1. Data: migrate, seed_demo (and seed_books for the 1M scenarios, when
   that command exists).
2. The project: `uvicorn config.asgi:application --workers N` with the rate
   limits raised, warmed up, then every scenario against every prefix, one
   wrk run at a time, PostgreSQL's connection count sampled during each.
3. The bare apps, each in its own uvicorn process with the same options,
   serving the JSON the project answered for its first page of books.
4. Optionally the same cached list at 1..N workers (`--workers-curve`).
5. Argon2 checks per second in this process, ratios, table, JSON, SVG.

Only one server runs at a time, so no two measurements share the CPU.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import call_command, get_commands
from django.db import connections

from books.management.commands.seed_demo import DEMO_USERS

from . import client, scenarios
from .bare.payload import PAYLOAD_ENV
from .hashing import argon2_checks_per_second
from .pg import ConnectionSampler, NoSampler
from .report import BASELINE_SCENARIO, Report, Row, with_ratios
from .scenarios import PREFIXES, Scenario
from .servers import ROOT, UvicornServer
from .wrk import WrkError, WrkRun, run_wrk

# High enough that no scenario meets the ordinary limits (per minute).
RAISED_RATE_LIMIT = "1000000000/minute"

# The bare apps: target name -> uvicorn factory (benchmarks/bare/).
BARE_APPS = {
    "raw_asgi": "benchmarks.bare.raw_asgi:create_app",
    "bare_fastapi": "benchmarks.bare.fastapi_app:create_app",
    "bare_flask": "benchmarks.bare.flask_app:create_app",
    "bare_drf": "benchmarks.bare.drf_app:create_app",
}
BARE_SETTINGS = {"bare_drf": "benchmarks.bare.drf_settings"}

# Following `links.next` this many times (100 books a page) reaches a deep cursor.
CURSOR_HOPS = 500


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    seconds: float = 10.0
    warmup_seconds: float = 2.0
    workers: int = 1
    connections: int = 32
    # wrk runs per measurement; the fastest is kept (see BenchRun._measure).
    repeat: int = 1
    quick: bool = False
    embedded: bool = False
    only: list[str] | None = None
    workers_curve: list[int] = field(default_factory=list)
    million: int = 1_000_000
    output_dir: Path = ROOT / "docs" / "bench"


class BenchRun:
    """One run; `say` prints progress lines (the command passes its stdout)."""

    def __init__(self, options: Options, *, say: Callable[[str], None]) -> None:
        self.options = options
        self.say = say
        self.database_url = os.environ.get("DATABASE_URL", "")
        self.report = Report(meta=self._meta())
        # Scenarios that cannot run at all (e.g. no seed_books for the 1M ones).
        self._unavailable: set[str] = set()
        # Where cache_miss_walk.lua starts counting: each run continues the last.
        self._miss_counter = 0
        self._scratch = Path(tempfile.mkdtemp(prefix="bench-"))
        self.payload_file = self._scratch / "books-page-1.json"
        # Generated once per run unless the environment sets them.
        self._secrets: dict[str, str] = {}

    # --- the run ------------------------------------------------------------

    def run(self) -> Report:
        chosen = scenarios.select(quick=self.options.quick, only=self.options.only)
        self.say(f"server logs and the served JSON go to {self._scratch}")
        self._prepare_data(chosen)
        self._release_connections()
        with self._project(self.options.workers) as project:
            self._fetch_payload(project)
            self._warm_up(project, [p + "/books" for p in PREFIXES.values()])
            context = self._discover(project, chosen)
            for scenario in chosen:
                self._run_scenario(project, scenario, context)
        self._run_bare_apps(self.options.workers, into=self.report.rows)
        if self.options.workers_curve:
            self._run_workers_curve()
        self.say("Argon2 checks per second, one thread of this process ...")
        self.report.hash_rate = argon2_checks_per_second()
        self.report.rows = with_ratios(self.report.rows)
        self.report.workers_curve = with_ratios(self.report.workers_curve)
        return self.report

    def _meta(self) -> dict[str, Any]:
        return {
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "backend": "postgresql+redis" if self.database_url else "embedded (SQLite)",
            "workers": self.options.workers,
            "seconds": self.options.seconds,
            "connections": self.options.connections,
            "wrk": f"wrk -t1 -c{self.options.connections} -d{self.options.seconds:g}s",
            "quick": self.options.quick,
            "repeat": self.options.repeat,
            "cpus": os.cpu_count(),
        }

    # --- data ---------------------------------------------------------------

    def _prepare_data(self, chosen: list[Scenario]) -> None:
        self.say("migrate, seed_demo ...")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo", stdout=StringIO())
        if not any(s.needs_million for s in chosen):
            return
        if "seed_books" not in get_commands():
            self._skip_million("manage.py seed_books does not exist in this checkout")
            return
        from books.models import Book

        # Top up to the target, so a second run on the same database reuses the rows.
        missing = self.options.million - Book.objects.count()
        if missing <= 0:
            self.say(f"{self.options.million:,} books already there (the 1M scenarios)")
            return
        self.say(f"seed_books --count {missing} (the 1M scenarios) ...")
        call_command("seed_books", "--count", str(missing), stdout=StringIO())

    def _release_connections(self) -> None:
        """Close this process's pooled connections: the sampler counts the server's only."""
        for connection in connections.all():
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()
            connection.close()

    def _skip_million(self, why: str) -> None:
        for scenario in scenarios.SCENARIOS:
            if scenario.needs_million:
                self._unavailable.add(scenario.key)
                self._skip(scenario.key, "every prefix", why)

    def _skip(self, scenario: str, target: str, why: str) -> None:
        line = f"skipped {scenario} at {target}: {why}"
        if line not in self.report.skipped:
            self.report.skipped.append(line)
            self.say(line)

    # --- servers --------------------------------------------------------------

    def server_env(self) -> dict[str, str]:
        """The environment every server of this run starts with."""
        env = {k: v for k, v in os.environ.items() if k not in ("TESTING", "DEBUG")}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            # All workers must sign and check tokens with the same keys.
            SECRET_KEY=self._secret("SECRET_KEY"),
            JWT_SIGNING_KEY=self._secret("JWT_SIGNING_KEY"),
            # A full run with the 1M seed outlasts the default 15 minutes.
            ACCESS_TOKEN_LIFETIME="7200",
            RATE_LIMIT_ANON=RAISED_RATE_LIMIT,
            RATE_LIMIT_USER=RAISED_RATE_LIMIT,
            LOG_LEVEL="WARNING",
        )
        env[PAYLOAD_ENV] = str(self.payload_file)
        return env

    def _secret(self, name: str) -> str:
        return self._secrets.setdefault(name, os.environ.get(name) or secrets.token_urlsafe(48))

    @contextmanager
    def _project(self, workers: int) -> Iterator[UvicornServer]:
        self.say(f"starting uvicorn config.asgi:application --workers {workers} ...")
        server = UvicornServer(
            "config.asgi:application", env=self.server_env(), workers=workers,
            ready_path="/health", log_file=self._scratch / f"project-{workers}w.log",
        )
        with server:
            yield server

    def _bare_server(self, target: str, workers: int) -> UvicornServer:
        env = self.server_env()
        if target in BARE_SETTINGS:
            env["DJANGO_SETTINGS_MODULE"] = BARE_SETTINGS[target]
        return UvicornServer(
            BARE_APPS[target], env=env, workers=workers, factory=True, ready_path="/books",
            log_file=self._scratch / f"{target}-{workers}w.log",
        )

    # --- discovery ------------------------------------------------------------

    def _fetch_payload(self, project: UvicornServer) -> None:
        """The project's first page of books: what every bare app will serve."""
        status, body = client.get_json(project.url("/api/fastapi/books"))
        if status != 200 or not isinstance(body, dict) or not body.get("data"):
            raise RuntimeError(f"GET /api/fastapi/books answered {status}: {body!r:.300}")
        self.payload_file.write_text(json.dumps(body), encoding="utf-8")

    def _discover(self, project: UvicornServer, chosen: list[Scenario]) -> dict[str, dict]:
        """Per prefix: a token, a book id, a search term, a deep cursor path."""
        context: dict[str, dict] = {}
        names = {
            name
            for scenario in chosen
            if scenario.key not in self._unavailable
            for name in scenario.needs_discovery()
        }
        needs_token = any(s.authenticated for s in chosen)
        password = next(u.password for u in DEMO_USERS if u.username == scenarios.BENCH_USERNAME)
        for name, prefix in PREFIXES.items():
            found: dict[str, Any] = {"password": password}
            if needs_token:
                found["token"] = client.login(
                    project.url(prefix + "/auth/token"),
                    username=scenarios.BENCH_USERNAME, password=password,
                )
            _, first_page = client.get_json(project.url(prefix + "/books"))
            found["book_id"] = first_page["data"][0]["id"]
            if "search_term" in names:
                found["search_term"] = self._search_term(project, prefix)
            if "deep_cursor" in names:
                found["deep_cursor"] = self._deep_cursor(project, prefix)
            context[name] = found
        return context

    def _search_term(self, project: UvicornServer, prefix: str) -> str | None:
        """A word from the newest book's title: present somewhere in a million rows."""
        _, page = client.get_json(project.url(prefix + "/books?sort=id:desc&page_size=1"))
        words = [w for w in str(page["data"][0]["title"]).split() if len(w) >= 4 and w.isalpha()]
        return words[0].lower() if words else None

    def _deep_cursor(self, project: UvicornServer, prefix: str) -> str | None:
        """Follow `links.next` CURSOR_HOPS times; the path of the page reached."""
        # An empty `cursor=` starts keyset paging; links.next then carries cursors.
        url: str | None = project.url(prefix + "/books?page_size=100&cursor=")
        base = project.url(prefix)
        path = None
        for _ in range(CURSOR_HOPS):
            _, page = client.get_json(url or "")
            next_url = (page.get("links") or {}).get("next") if isinstance(page, dict) else None
            if not next_url or "cursor=" not in next_url or not next_url.startswith(base):
                break
            path, url = next_url[len(base):], next_url
        return path

    # --- measuring --------------------------------------------------------------

    def _warm_up(self, server: UvicornServer, paths: list[str]) -> None:
        for path in paths:
            run_wrk(WrkRun(
                url=server.url(path), seconds=self.options.warmup_seconds,
                connections=self.options.connections,
            ))

    def _sampler(self) -> ConnectionSampler | NoSampler:
        if self.database_url.startswith("postgres"):
            return ConnectionSampler(self.database_url)
        return NoSampler()

    def _measure(self, run: WrkRun, *, scenario: str, target: str, workers: int,
                 unit: str = "req/s") -> Row | None:
        """Run wrk `repeat` times and keep the fastest run (best of N).

        On a shared machine other work only ever slows a run down, so the
        fastest of several is the least disturbed. The connection peak is
        the highest seen in any of them.
        """
        best: Row | None = None
        peaks: list[int] = []
        for _ in range(self.options.repeat):
            if run.script is scenarios.CACHE_MISS_SCRIPT:
                # Each repetition starts past every query string already asked.
                run = replace(run, script_args=(run.script_args[0], str(self._miss_counter)))
            sampler = self._sampler()
            sampler.start()
            try:
                result = run_wrk(run)
            except WrkError as error:
                sampler.stop()
                self._skip(scenario, target, str(error))
                return None
            peak = sampler.stop()
            if peak is not None:
                peaks.append(peak)
            if run.script is scenarios.CACHE_MISS_SCRIPT:
                self._miss_counter += result.requests + run.connections
            row = Row.from_wrk(
                scenario=scenario, target=target, workers=workers, result=result,
                peak_pg=None, unit=unit,
            )
            if best is None or row.rate > best.rate:
                best = row
        assert best is not None  # repeat >= 1
        best = replace(best, peak_pg=max(peaks) if peaks else None)
        self.say(
            f"  {scenario:<16} {target:<13} {best.rate:>10,.1f} {unit:<9} "
            f"p99 {best.p99_ms or 0:,.1f} ms, non-2xx {best.non_2xx}"
        )
        return best

    def _wrk_run(self, server: UvicornServer, prefix: str, scenario: Scenario,
                 found: dict[str, Any]) -> WrkRun:
        path = prefix + scenario.path.format(**found)
        headers: tuple[str, ...] = ()
        if scenario.authenticated:
            headers = (f"Authorization: Bearer {found['token']}",)
        script: Path | None = None
        args: tuple[str, ...] = ()
        if scenario.mode == "cache_miss":
            script, args = scenarios.CACHE_MISS_SCRIPT, (path, str(self._miss_counter))
        elif scenario.mode == "post_json":
            script, args = scenarios.POST_SCRIPT, ("application/json", scenarios.CREATE_BODY)
        elif scenario.mode == "post_form":
            form = scenarios.login_form(scenarios.BENCH_USERNAME, found["password"])
            script, args = scenarios.POST_SCRIPT, ("application/x-www-form-urlencoded", form)
        return WrkRun(
            url=server.url(path), seconds=self.options.seconds,
            connections=min(scenario.connections, self.options.connections),
            headers=headers, script=script, script_args=args, timeout_s=scenario.timeout_s,
        )

    def _run_scenario(self, project: UvicornServer, scenario: Scenario,
                      context: dict[str, dict]) -> None:
        if scenario.key in self._unavailable:
            return
        self.say(f"{scenario.key}: {scenario.title}")
        for name, prefix in PREFIXES.items():
            found = context[name]
            missing = [n for n in scenario.needs_discovery() if not found.get(n)]
            if missing:
                self._skip(scenario.key, prefix, f"could not find {', '.join(missing)}"
                           + (" (no ?cursor= in links.next)" if "deep_cursor" in missing else ""))
                continue
            row = self._measure(
                self._wrk_run(project, prefix, scenario, found),
                scenario=scenario.key, target=name, workers=self.options.workers,
                unit=scenario.unit,
            )
            if row:
                self.report.rows.append(row)

    def _run_bare_apps(self, workers: int, *, into: list[Row]) -> None:
        self.say(f"bare baselines, {workers} worker(s): GET /books, the same JSON")
        for target in BARE_APPS:
            with self._bare_server(target, workers) as server:
                self._warm_up(server, ["/books"])
                row = self._measure(
                    WrkRun(url=server.url("/books"), seconds=self.options.seconds,
                           connections=self.options.connections),
                    scenario=BASELINE_SCENARIO, target=target, workers=workers,
                )
                if row:
                    into.append(row)

    def _run_workers_curve(self) -> None:
        for workers in self.options.workers_curve:
            with self._project(workers) as project:
                self._warm_up(project, [p + "/books" for p in PREFIXES.values()])
                for name, prefix in PREFIXES.items():
                    row = self._measure(
                        WrkRun(url=project.url(prefix + "/books"), seconds=self.options.seconds,
                               connections=self.options.connections),
                        scenario="list_cached", target=name, workers=workers,
                    )
                    if row:
                        self.report.workers_curve.append(row)
            self._run_bare_apps(workers, into=self.report.workers_curve)
