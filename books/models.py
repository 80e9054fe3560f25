"""The Book table: the one resource every framework serves.

The database enforces what must hold whoever writes (a service, the admin, a
management command, a raw SQL session): ISBNs are unique and years are not
before printing. The friendlier, message-bearing checks live in
`books.rules`; these constraints are the last line when two writers race.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from common.constraints import AUTHOR_MAX, TITLE_MAX, YEAR_MIN


class Book(models.Model):
    # The limits are common.constraints', the same numbers the three APIs
    # validate and document: raising one there needs a migration here, and
    # `makemigrations --check` in the tests says so.
    title = models.CharField(max_length=TITLE_MAX)
    author = models.CharField(max_length=AUTHOR_MAX)
    year = models.IntegerField()
    # Always stored as the 13-digit form (books.rules.normalize_isbn), so one
    # book entered as ISBN-10 and as ISBN-13 collides on the unique index.
    # NULL, not "", for "no ISBN": NULLs never collide with each other.
    isbn = models.CharField(max_length=13, null=True, blank=True, unique=True)
    description = models.TextField(blank=True, default="")
    # PROTECT: a user is soft-deleted (API.md, Users) and "its books stay";
    # a hard delete of a user with books is refused instead of cascading.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="books"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=YEAR_MIN), name="book_year_gte_min"
            ),
        ]
        indexes = [
            # One index per allowlisted sort, with `id` as the tie-break every
            # list query appends (books.filters), so ORDER BY ... LIMIT can walk
            # the index instead of sorting the table.
            models.Index(fields=["title", "id"], name="book_title_id_idx"),
            models.Index(fields=["author", "id"], name="book_author_id_idx"),
            models.Index(fields=["year", "id"], name="book_year_id_idx"),
            models.Index(fields=["created_at", "id"], name="book_created_at_id_idx"),
            # `author=` is case-insensitive exact: Django's iexact emits
            # UPPER(author) = UPPER(%s) on PostgreSQL, which this index serves.
            models.Index(Upper("author"), name="book_author_upper_idx"),
            # The trigram indexes for `search`/`title_contains` (icontains) are
            # PostgreSQL-only; see migration 0002.
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.author}, {self.year})"


class PendingInvalidation(models.Model):
    """A cache write that was promised and may not have landed yet (the outbox).

    One row per promise: `kind` names what to write (`version_bump`,
    `token_revocation`, `user_stamp`), `payload` what to write it for (a
    cache namespace, a login family id, a user id). The row is inserted in
    the same transaction as the write it follows, so it exists exactly when
    that write committed, and deleted once the cache has taken it. A row
    that stays means a process died (or the cache was down) before that:
    every server process's retrier (common/retry.py) finds it and writes
    the cache for it.

    It lives in the books app only because that app has migrations and the
    books version is its main user; nothing in it is about books.
    """

    kind = models.CharField(max_length=32)
    payload = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Drained oldest first; the primary key is the order (no extra index:
        # the table is empty almost always, and a handful of rows otherwise).
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.payload} (since {self.created_at:%Y-%m-%d %H:%M:%S})"
