"""`manage.py flushexpiredtokens [--keep-days N] [--dry-run]`: prune what no request can use.

Named after simplejwt's command of the same job (its token_blacklist app
prunes OutstandingToken rows); here the rows are:

- login families (accounts.TokenFamily) whose absolute end (`expires_at`)
  passed more than N days ago, revoked or not: every token they ever issued
  has expired, so deleting them refuses nothing that was not refused already
  (an unknown family is refused like a revoked one);
- lockout records (throttling.Lockout) that ended more than N days ago:
  past their `locked_until`, or lifted by an admin. Active locks are never
  touched: their rows are what restores them after a Redis restart;
- known login addresses (throttling.KnownAddress) last used more than
  KNOWN_ADDRESS_DAYS (30) days ago: the login guard no longer counts them
  as familiar, whatever N is.

The N days (default 7) keep recent history for the admin. Rows go in
batches, each its own short transaction, so a large backlog never holds a
long lock on tables that logins write to. Run it daily from cron (or any
scheduler); it is idempotent and safe beside a running server.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from accounts.models import TokenFamily
from throttling.lockout_records import KNOWN_ADDRESS_DAYS
from throttling.models import KnownAddress, Lockout

DEFAULT_KEEP_DAYS = 7
# Rows deleted per statement: small enough for short transactions.
BATCH_SIZE = 5_000


def finished_families(ended_before: datetime) -> QuerySet[TokenFamily]:
    """Login families whose last token expired before `ended_before`."""
    return TokenFamily.objects.filter(expires_at__lt=ended_before)


def finished_lockouts(ended_before: datetime) -> QuerySet[Lockout]:
    """Lockouts that ran out, or were lifted, before `ended_before`."""
    return Lockout.objects.filter(
        Q(locked_until__lt=ended_before) | Q(lifted_at__lt=ended_before)
    )


def stale_known_addresses(now: datetime) -> QuerySet[KnownAddress]:
    """Addresses no longer familiar: their last login is older than KNOWN_ADDRESS_DAYS."""
    return KnownAddress.objects.filter(last_login_at__lt=now - timedelta(days=KNOWN_ADDRESS_DAYS))


def delete_in_batches(queryset: QuerySet[Any], batch_size: int = BATCH_SIZE) -> int:
    """Delete every row of `queryset`, `batch_size` at a time; returns how many."""
    model: type[Model] = queryset.model
    deleted = 0
    while True:
        batch = list(queryset.values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        count, _ = model._default_manager.filter(pk__in=batch).delete()
        deleted += count


class Command(BaseCommand):
    help = (
        "Delete login families and lockout records that ended more than N days ago, "
        "and login addresses no longer counted as familiar."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-days", type=int, default=DEFAULT_KEEP_DAYS,
            help=f"keep rows that ended within this many days (default {DEFAULT_KEEP_DAYS})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would go; delete nothing",
        )

    def handle(self, *args: Any, keep_days: int, dry_run: bool, **options: Any) -> None:
        if keep_days < 0:
            raise CommandError("--keep-days must be 0 or more.")
        now = timezone.now()
        ended_before = now - timedelta(days=keep_days)
        families = finished_families(ended_before)
        lockouts = finished_lockouts(ended_before)
        addresses = stale_known_addresses(now)
        if dry_run:
            self.stdout.write(
                f"Would delete {families.count()} login families and "
                f"{lockouts.count()} lockout records (ended before {ended_before:%Y-%m-%d %H:%M}), "
                f"and {addresses.count()} known login addresses."
            )
            return
        family_count = delete_in_batches(families)
        lockout_count = delete_in_batches(lockouts)
        address_count = delete_in_batches(addresses)
        self.stdout.write(self.style.SUCCESS(
            f"Deleted {family_count} login families and {lockout_count} lockout records "
            f"(ended before {ended_before:%Y-%m-%d %H:%M}), "
            f"and {address_count} known login addresses."
        ))
