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
