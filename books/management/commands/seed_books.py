"""`manage.py seed_books --count 1000000`: many generated books, fast, for load tests.

    python manage.py seed_books --count 1000000          # ~1 min on PostgreSQL, 2 cores
    python manage.py seed_books --count 5000 --seed 7    # other titles, same shape

Rows come from books.seeding (deterministic, valid, unique ISBN-13s or
NULL). On PostgreSQL they stream through one COPY (psycopg 3's
`cursor.copy`), tens of times faster than INSERTs; elsewhere (SQLite) they go
in as batched multi-row INSERTs. Either way the ORM is bypassed, so no
post_save signal fires: the books cache version is bumped once at the end,
then ANALYZE refreshes the planner's statistics (a million rows the planner
has never seen get bad plans) and the row estimate that large unfiltered
lists report as their total (common.pagination).

Running it again appends: numbering continues after the highest generated
ISBN already in the table, so ISBNs never collide. The books belong to
`--owner` (a username), else to the first admin, else the first user, else to
a `seed` user created for them (no usable password: it cannot log in).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Max

from books.cache import book_cache
from books.models import Book
from books.seeding import (
    ISBN_PREFIX,
    MAX_SERIAL,
    NO_ISBN_EVERY,
    BookRow,
    generated_books,
    serial_of_isbn,
)

SEED_USERNAME = "seed"
# Rows per COPY write / INSERT batch, and per progress-bar update.
BATCH_SIZE = 10_000
# Text COPY's spelling of NULL.
COPY_NULL = "\\N"
# From this many rows on, PostgreSQL's secondary indexes are dropped before
# the COPY and rebuilt after it: one sorted build per index beats a million
# single-row updates (measured at 1M rows: ~70 s with the indexes in place,
# about half that without, the trigram GINs being the costly ones).
REBUILD_INDEXES_FROM = 100_000
# Memory for each index build (SET LOCAL: this transaction only).
INDEX_BUILD_MEMORY = "256MB"
COLUMNS = ("title", "author", "year", "isbn", "description", "created_by_id",
           "created_at", "updated_at")


class ProgressBar:
    """`[########------------]  40%  400,000/1,000,000  12.1 s` on stderr, redrawn in place.

    Plain text with a carriage return: no dependency, and a log file (not a
    terminal) gets one line per redraw, which is still readable.
    """

    width = 30
    timer = staticmethod(time.monotonic)

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.started = self.timer()

    def update(self, done: int) -> None:
        fraction = done / self.total if self.total else 1.0
        filled = int(self.width * fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        elapsed = self.timer() - self.started
        self.stream.write(
            f"\r[{bar}] {fraction:4.0%}  {done:,}/{self.total:,}  {elapsed:.1f} s"
        )
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def _batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


class Command(BaseCommand):
    help = "Load COUNT generated books (COPY on PostgreSQL), bump the cache version, ANALYZE."

    # Where the progress bar goes; a class attribute so tests can silence it.
    progress_stream: TextIO = sys.stderr

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help="How many books to add.")
        parser.add_argument("--seed", type=int, default=0,
                            help="Random seed: the same seed gives the same books (default 0).")
        parser.add_argument("--owner", help="Username that creates the books (default: see doc).")

    def handle(self, *args: Any, count: int, seed: int, owner: str | None,
               **options: Any) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1.")
        start = self._next_serial()
        if start + count - 1 > MAX_SERIAL:
            raise CommandError(f"Generated ISBNs allow {MAX_SERIAL + 1:,} books in all.")
        owner_id = self._owner(owner).pk
        rows = generated_books(start=start, count=count, seed=seed)
        progress = ProgressBar(count, self.progress_stream)
        started = time.monotonic()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with self._indexes_rebuilt_after(enabled=count >= REBUILD_INDEXES_FROM):
                    self._copy(rows, owner_id, progress)
            else:
                self._insert(rows, owner_id, progress)
        progress.finish()
        loaded = time.monotonic() - started
        # The rows are committed; only now may readers be sent to fetch them.
        book_cache.bump()
        self._analyze()
        self.stdout.write(
            f"Loaded {count:,} books in {loaded:.1f} s "
            f"(ISBN serials {start:,}..{start + count - 1:,}); analyzed."
        )

    # --- where the books start and who owns them ----------------------------------

    def _next_serial(self) -> int:
        """The first serial after every generated ISBN already stored.

        Rounded up to a multiple of NO_ISBN_EVERY, so a run that ended on an
        ISBN-less row cannot be continued with that row's serial again.
        """
        highest = Book.objects.filter(isbn__startswith=ISBN_PREFIX).aggregate(Max("isbn"))
        if highest["isbn__max"] is None:
            return 0
        return (serial_of_isbn(highest["isbn__max"]) // NO_ISBN_EVERY + 1) * NO_ISBN_EVERY

    def _owner(self, username: str | None) -> Any:
        User = get_user_model()
        if username is not None:
            user = User.objects.filter(username=username).first()
            if user is None:
                raise CommandError(f'No user "{username}".')
            return user
        user = (User.objects.filter(role="admin").order_by("pk").first()
                or User.objects.order_by("pk").first())
        if user is None:
            user = User(username=SEED_USERNAME, email=f"{SEED_USERNAME}@example.com")
            user.set_unusable_password()
            user.save()
        return user

    # --- writing -------------------------------------------------------------------

    @contextmanager
    def _indexes_rebuilt_after(self, *, enabled: bool) -> Iterator[None]:
        """Drop the table's secondary indexes, run the block, create them again.

        "Secondary": every index that backs no constraint. The primary key and
        the unique ISBN stay, so the database still refuses duplicates during
        the load. The definitions are read from pg_indexes, so whatever the
        migrations declare is rebuilt exactly. Inside the command's
        transaction: readers wait on the table's lock for the load, and a
        failure rolls the drops back too.
        """
        if not enabled:
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = %s
                  AND NOT EXISTS (
                      SELECT 1 FROM pg_constraint c
                      WHERE c.conindid = to_regclass(quote_ident(i.indexname)))
                """,
                [Book._meta.db_table],
            )
            indexes = cursor.fetchall()
            # Per-column statistics targets set on an index (migration 0003)
            # live in the index itself: note them, to set them again.
            cursor.execute(
                """
                SELECT c.relname, a.attnum, a.attstattarget FROM pg_attribute a
                JOIN pg_class c ON c.oid = a.attrelid
                WHERE c.relname = ANY(%s) AND a.attstattarget > 0
                """,
                [[name for name, _ in indexes]],
            )
            targets = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        started = time.monotonic()
        with connection.cursor() as cursor:
            # created_by's foreign key is DEFERRABLE INITIALLY DEFERRED: its
            # checks are queued until COMMIT, and PostgreSQL refuses CREATE
            # INDEX on a table with queued checks. Run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
            for _, definition in indexes:
                cursor.execute(definition)
            for name, column, target in targets:
                cursor.execute(f"ALTER INDEX {connection.ops.quote_name(name)} "
                               f"ALTER COLUMN {int(column)} SET STATISTICS {int(target)}")
        self.progress_stream.write(
            f"\nRebuilt {len(indexes)} indexes in {time.monotonic() - started:.1f} s"
        )

    def _copy(self, rows: Iterable[BookRow], owner_id: int, progress: ProgressBar) -> None:
        """One COPY ... FROM STDIN in text format, written a batch at a time.

        Lines are built by hand: generated values hold no tab, newline or
        backslash (the only characters text COPY would need escaped), and
        joining strings is several times faster than `copy.write_row`.
        """
        table = connection.ops.quote_name(Book._meta.db_table)
        sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"
        done = 0
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for batch in _batches(rows, BATCH_SIZE):
                lines = []
                for title, author, year, isbn, created_at in batch:
                    stamp = created_at.isoformat()
                    lines.append(f"{title}\t{author}\t{year}\t{isbn or COPY_NULL}\t\t"
                                 f"{owner_id}\t{stamp}\t{stamp}\n")
                copy.write("".join(lines))
                done += len(batch)
                progress.update(done)

    def _insert(self, rows: Iterable[BookRow], owner_id: int, progress: ProgressBar) -> None:
        """Batched INSERTs through the DB-API (`executemany`), for SQLite.

        Not `bulk_create`: that would overwrite the generated `created_at`
        with "now" (auto_now_add), and the data would stop being reproducible.
        """
        table = connection.ops.quote_name(Book._meta.db_table)
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({placeholders})"
        adapt = connection.ops.adapt_datetimefield_value
        done = 0
        with connection.cursor() as cursor:
            for batch in _batches(rows, BATCH_SIZE):
                cursor.executemany(sql, [
                    (title, author, year, isbn, "", owner_id, adapt(created_at),
                     adapt(created_at))
                    for title, author, year, isbn, created_at in batch
                ])
                done += len(batch)
                progress.update(done)

    def _analyze(self) -> None:
        table = connection.ops.quote_name(Book._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
