"""The database side of the login guard: lock records, and the addresses owners log in from.

A lock is answered from the cache (fast, expires on its own), but the cache
is not the record: Redis can restart, be flushed or evict keys, and a lock
that lived only there would vanish with it, handing an attacker a fresh
budget. So every lock is also a `Lockout` row, and `LoginGuard` asks this
module before it lets an attempt through with no lock in the cache:

    locks = active_locks(namespace, subjects, now=now)   # {subject: until}

A subject is `(scope, username, ip)`: `("username_ip", name, ip)` for a name
from one address, `("ip", "", ip)` for an address. The rows are written and
read with the same normalized values the cache keys are built from (a
username's canonical form, an IP's bucket).

`KnownAddress` rows remember where each username last logged in with the
right password, so a username slowed by a distributed guess still lets its
owner in from a familiar address (`note_success`, `is_known_address`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import DatabaseError, transaction
from django.db.models import Q

from throttling.models import KnownAddress, Lockout

USERNAME_IP = Lockout.Scope.USERNAME_IP.value
IP = Lockout.Scope.IP.value
USERNAME = Lockout.Scope.USERNAME.value

# The columns' lengths: a value is stored (and so must be looked up) cut to them.
USERNAME_MAX = 150
IP_MAX = 64

# A success from an address makes it familiar for this long (API.md, "Brute force").
KNOWN_ADDRESS_DAYS = 30

Subject = tuple[str, str, str]  # (scope, canonical username or "", IP bucket or "")


def cut_username(name: str) -> str:
    return name[:USERNAME_MAX]


def cut_ip(ip: str) -> str:
    return ip[:IP_MAX]


def subject_match(subjects: Iterable[Subject]) -> Q:
    """Rows locking any of these subjects."""
    match = Q(pk__in=[])  # no subjects: match nothing
    for scope, username, ip in subjects:
        if scope == IP:
            match |= Q(scope=IP, ip=cut_ip(ip))
        else:
            match |= Q(scope=scope, username=cut_username(username), ip=cut_ip(ip))
    return match


def lifting_match(*, username: str | None, ip: str | None) -> Q:
    """Rows an unlock of this username and/or IP lifts.

    A username: its locks from every address (and older whole-username
    locks). An IP: its own lock, and every name's lock from it.
    """
    match = Q(pk__in=[])
    if username is not None:
        match |= Q(scope__in=[USERNAME_IP, USERNAME], username=cut_username(username))
    if ip is not None:
        match |= Q(scope__in=[IP, USERNAME_IP], ip=cut_ip(ip))
    return match


def record_lock(
    *, namespace: str, scope: str, username: str, ip: str, locked_at: float, locked_until: float
) -> Lockout:
    """Write one lock; `username` and `ip` are already normalized (see lockout.Subjects)."""
    return Lockout.objects.create(
        namespace=namespace,
        scope=scope,
        username=cut_username(username),
        ip=cut_ip(ip),
        locked_at=datetime.fromtimestamp(locked_at, tz=UTC),
        locked_until=datetime.fromtimestamp(locked_until, tz=UTC),
    )


def active_locks(
    namespace: str, subjects: Iterable[Subject], *, now: float
) -> dict[Subject, float]:
    """{subject: expiry in epoch seconds} for each subject with a recorded, unlifted lock.

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
    stored: dict[Subject, float] = {}
    for scope, username, ip, locked_until in rows:
        key = (scope, "" if scope == IP else username, ip)
        stored[key] = max(stored.get(key, 0.0), locked_until.timestamp())
    # Back to the callers' subjects, which may be longer than the stored cut.
    found = {}
    for subject in wanted:
        scope, username, ip = subject
        stored_as = (scope, "" if scope == IP else cut_username(username), cut_ip(ip))
        if stored_as in stored:
            found[subject] = stored[stored_as]
    return found


def note_success(*, namespace: str, username: str, ip: str, at: float) -> None:
    """Remember that `username` logged in from `ip` (one upsert).

    In its own savepoint: a failed write must not break a transaction the
    caller is in. Raises the database's errors.
    """
    when = datetime.fromtimestamp(at, tz=UTC)
    with transaction.atomic():
        KnownAddress.objects.bulk_create(
            [
                KnownAddress(
                    namespace=namespace,
                    username=cut_username(username),
                    ip=cut_ip(ip),
                    last_login_at=when,
                )
            ],
            update_conflicts=True,
            unique_fields=["namespace", "username", "ip"],
            update_fields=["last_login_at"],
        )


def is_known_address(*, namespace: str, username: str, ip: str, now: float) -> bool:
    """Did `username` log in from `ip` within the last KNOWN_ADDRESS_DAYS?

    A database error answers False: the address is then treated as a
    stranger's, which is slowed, never let through unchecked.
    """
    since = datetime.fromtimestamp(now, tz=UTC) - timedelta(days=KNOWN_ADDRESS_DAYS)
    try:
        return KnownAddress.objects.filter(
            namespace=namespace,
            username=cut_username(username),
            ip=cut_ip(ip),
            last_login_at__gte=since,
        ).exists()
    except DatabaseError:
        return False
