"""The database side of a lockout: write the record, and read it back.

A lock is answered from the cache (fast, expires on its own), but the cache
is not the record: Redis can restart, be flushed or evict keys, and a lock
that lived only there would vanish with it, handing an attacker a fresh
budget. So every lock is also a `Lockout` row, and `LoginGuard` asks this
module before it lets an attempt through with no lock in the cache:

    locks = active_locks(namespace, subjects, now=now)   # {(scope, subject): until}

The rows are written and read with the same normalized subjects the cache
keys are built from (a username's canonical form, an IP's bucket).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import Q

from throttling.models import Lockout

USERNAME = Lockout.Scope.USERNAME.value
IP = Lockout.Scope.IP.value

# The columns' lengths: a subject is stored (and so must be looked up) cut to them.
USERNAME_MAX = 150
IP_MAX = 64


def cut(scope: str, subject: str) -> str:
    """A subject as its column stores it (cut to the column's length)."""
    return subject[:USERNAME_MAX] if scope == USERNAME else subject[:IP_MAX]


def subject_match(subjects: Iterable[tuple[str, str]]) -> Q:
    """Rows locking any of these (scope, subject) pairs."""
    match = Q(pk__in=[])  # no subjects: match nothing
    for scope, subject in subjects:
        if scope == USERNAME:
            match |= Q(scope=USERNAME, username=cut(scope, subject))
        else:
            match |= Q(scope=IP, ip=cut(scope, subject))
    return match


def record_lock(
    *, namespace: str, scope: str, username: str, ip: str, locked_at: float, locked_until: float
) -> Lockout:
    """Write one lock; `username` and `ip` are already normalized (see lockout._subjects)."""
    return Lockout.objects.create(
        namespace=namespace,
        scope=scope,
        username=username[:USERNAME_MAX],
        ip=ip[:IP_MAX],
        locked_at=datetime.fromtimestamp(locked_at, tz=UTC),
        locked_until=datetime.fromtimestamp(locked_until, tz=UTC),
    )


def active_locks(
    namespace: str, subjects: Iterable[tuple[str, str]], *, now: float
) -> dict[tuple[str, str], float]:
    """{(scope, subject): expiry in epoch seconds} for each subject with a recorded, unlifted lock.

    One indexed query. Raises the database's errors: the caller decides what
    an unreadable record means.
    """
    wanted = list(subjects)
    rows = Lockout.objects.filter(
        subject_match(wanted),
        namespace=namespace,
        lifted_at__isnull=True,
        locked_until__gt=datetime.fromtimestamp(now, tz=UTC),
    ).values_list("scope", "username", "ip", "locked_until")
    stored: dict[tuple[str, str], float] = {}
    for scope, username, ip, locked_until in rows:
        key = (scope, username if scope == USERNAME else ip)
        stored[key] = max(stored.get(key, 0.0), locked_until.timestamp())
    # Back to the callers' subjects, which may be longer than the stored cut.
    found = {}
    for scope, subject in wanted:
        cut = subject[:USERNAME_MAX] if scope == USERNAME else subject[:IP_MAX]
        if (scope, cut) in stored:
            found[(scope, subject)] = stored[(scope, cut)]
    return found
