"""`manage.py bench`: the project against each bare framework, in one run.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python manage.py bench                 # everything, 10 s a run
    ... manage.py bench --quick                          # under two minutes
    ... manage.py bench --workers-curve 1,2,4            # plus the cached list at 1, 2, 4 workers

It migrates and seeds the database it is pointed at: give it a database of
its own. The table goes to stdout; docs/bench/bench.json and bench.svg are
written (or to --output). The numbers never fail the command: it exits
non-zero only when it cannot run (no wrk, no database, a server that does
not start).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from benchmarks import scenarios
from benchmarks.report import format_table, write_json
from benchmarks.runner import BenchRun, Options
from benchmarks.svg import write_svg
from benchmarks.wrk import WRK_MISSING, wrk_available

QUICK_SECONDS = 3.0
QUICK_WARMUP_SECONDS = 1.0


def _worker_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise CommandError(f"--workers-curve wants a comma list of integers, got {text!r}") from exc
    if not counts or any(n < 1 for n in counts):
        raise CommandError("--workers-curve wants worker counts of 1 or more")
    return counts


class Command(BaseCommand):
    help = "Load-test every prefix and the bare frameworks with wrk; write docs/bench/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (default 1)")
        parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk run")
        parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
        parser.add_argument(
            "--repeat", type=int, default=1,
            help="wrk runs per measurement, the fastest kept (a shared machine only slows runs)",
        )
        parser.add_argument(
            "--quick", action="store_true",
            help=f"four scenarios, {QUICK_SECONDS:g} s each: under two minutes (CI)",
        )
        parser.add_argument(
            "--embedded", action="store_true",
            help="allow the embedded default (SQLite) when DATABASE_URL/REDIS_URL are unset",
        )
        parser.add_argument(
            "--only", default="",
            help="comma list of scenarios: " + ", ".join(s.key for s in scenarios.SCENARIOS),
        )
        parser.add_argument(
            "--workers-curve", default="",
            help="also measure the cached list at these worker counts, e.g. 1,2,4",
        )
        parser.add_argument(
            "--million", type=int, default=1_000_000,
            help="books for the 1M scenarios (manage.py seed_books --count)",
        )
        parser.add_argument(
            "--output", type=Path, default=None, help="where bench.json and bench.svg go",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not wrk_available():
            raise CommandError(WRK_MISSING)
        if not options["embedded"] and not (
            os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")
        ):
            raise CommandError(
                "bench measures the production set-up: set DATABASE_URL (PostgreSQL, a "
                "database of its own: it is migrated and seeded) and REDIS_URL, or pass "
                "--embedded to measure the embedded default (SQLite, in-process cache)."
            )
        if options["workers"] < 1 or options["repeat"] < 1:
            raise CommandError("--workers and --repeat must be 1 or more")
        quick = options["quick"]
        run_options = Options(
            seconds=QUICK_SECONDS if quick else options["seconds"],
            warmup_seconds=QUICK_WARMUP_SECONDS if quick else 2.0,
            workers=options["workers"],
            connections=options["connections"],
            repeat=1 if quick else options["repeat"],
            quick=quick,
            embedded=options["embedded"],
            only=[k.strip() for k in options["only"].split(",") if k.strip()] or None,
            workers_curve=_worker_counts(options["workers_curve"])
            if options["workers_curve"] else [],
            million=options["million"],
            **({"output_dir": options["output"]} if options["output"] else {}),
        )
        try:
            report = BenchRun(run_options, say=self._say).run()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write("")
        self.stdout.write(f"{report.meta['wrk']}, {report.meta['backend']}, "
                          f"{report.meta['cpus']} CPUs")
        self.stdout.write(format_table(report.rows))
        if report.workers_curve:
            self.stdout.write("\nworkers curve, GET /books cached:")
            self.stdout.write(format_table(report.workers_curve))
        if report.hash_rate:
            self.stdout.write(
                f"\nArgon2 password checks: {report.hash_rate:.1f}/s in one thread "
                f"(the login ceiling is about that times the cores)"
            )
        for line in report.skipped:
            self.stdout.write(line)
        output = run_options.output_dir
        write_json(report, output / "bench.json")
        # The curve's rows get a group per worker count, apart from the main run's.
        curve = [
            replace(row, scenario=f"curve, {row.workers} workers")
            for row in report.workers_curve
        ]
        write_svg(
            report.rows + curve, output / "bench.svg",
            title=f"manage.py bench: {report.meta['wrk']}, {report.meta['backend']}",
        )
        self.stdout.write(f"wrote {output / 'bench.json'} and {output / 'bench.svg'}")

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()
