"""The one table of common/: the outbox of promised cache writes (common/retry.py)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
    """

    kind = models.CharField(max_length=32)
    payload = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The table was created by the books app (its migration 0004), which
        # held this model before common/ had migrations; it keeps its name.
        db_table = "books_pendinginvalidation"
        # Drained oldest first; the primary key is the order (no extra index:
        # the table is empty almost always, and a handful of rows otherwise).
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind}:{self.payload} (since {self.created_at:%Y-%m-%d %H:%M:%S})"
