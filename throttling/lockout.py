"""Brute-force protection for logins: count, lock, slow, record, unlock.

    user = login_guard.attempt(username, ip, lambda: authenticate(username, password))

`attempt` is three phases, also callable one by one:

    login_guard.reserve(username, ip)           # may raise LockedOut / RateLimited /
                                                # ServiceUnavailable
    try:
        user = authenticate(username, password) # the expensive password hash
    except Exception:
        login_guard.release(username, ip)       # an error is no answer: give it back
        raise
    if user is None:
        login_guard.record_failure(username, ip)
    else:
        login_guard.record_success(username, ip)

Every place that checks a password goes through `login_guard`, so they
share one set of counters: the token endpoint (all prefixes), the Django
admin's login form and `current_password` in a user PATCH.

Three subjects are counted for each attempt, each against its own threshold
(API.md, "Brute force"):

- the username *from this address* (LOGIN_MAX_FAILURES): locked, 429
  `locked_out`, for LOGIN_LOCKOUT. Only that pair is locked: the owner
  logging in from anywhere else is not affected, so a stranger cannot lock
  anyone out (the admin included) by guessing at their name;
- the address (LOGIN_MAX_FAILURES_PER_IP, higher: one person's typos must
  not lock everyone behind a shared address): locked for every username;
- the username from every address (LOGIN_MAX_FAILURES_PER_USERNAME, far
  higher: only a distributed guess reaches it): slowed, not locked. For
  LOGIN_LOCKOUT, attempts at it are refused with 429 `rate_limited` unless
  they come from an address that logged into it within the last 30 days
  (`KnownAddress` rows): the owner is let in, the crowd of strangers waits.

Why reserve first: counting after the password check lets N parallel wrong
attempts all pass a "fewer than 5 failures so far?" test and all reach the
hash. So each subject has two counters, both counted atomically with the
cache's `add` + `incr`:

- `attempts`, taken by `reserve` *before* the check: attempts that failed
  or are still in flight. Past the subject's threshold the attempt is
  refused (and gives its count back), so N parallel attempts of one name
  from one address cause at most LOGIN_MAX_FAILURES password checks. Such a
  refusal is 429 `rate_limited` with Retry-After 1, not a lockout: nothing
  has failed yet, and the attempts in flight may all be correct.
- `failures`, counted by `record_failure`: exactly one failure sees the
  count reach the max, and that one sets the lock (or the slowdown).

Both live LOGIN_FAILURE_WINDOW seconds from their first count and are reset
when the lock is set, so the next window starts fresh once the lock ends.

A success clears its (username, address) pair's counters only, and gives
back the address's and the username's attempts without touching their
failures: otherwise an attacker with an account of their own could log in
every few guesses and spray forever.

Usernames are counted in their canonical form (`accounts.identity.canonical`,
the form the login looks up: `ÉLODIE` is `élodie`, `ıvy` is not `ivy`) and
never looked up: unknown ones are counted and locked exactly like real ones,
so a lockout says nothing about whether an account exists.

Only a wrong password counts as a failure. A check that raises (the
database is down, the input broke the driver) is no answer at all: its
attempt is released, so errors never add up to a lockout.

Locks live in the cache (TTL LOGIN_LOCKOUT) and are recorded as `Lockout`
rows. The rows are the record: when the cache holds no lock, `reserve` asks
the database too (one indexed query, next to a password hash), so a lock
survives a Redis restart or flush. When the cache is down, `reserve`
refuses with 503: without counters, brute-force protection cannot be
enforced.

Unlocking a username must reach its pairs with every address, which the
cache cannot list. So a pair's keys carry a *generation* of the username
and of the address (a stamp kept in the cache without expiry): `unlock`
writes a new stamp, and every older pair key of that name (or address) is
out of use at once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.core.cache import cache as default_cache
from django.db import DatabaseError
from django.db.models import Q

from common.errors import LockedOut, RateLimited, ServiceUnavailable
from common.rendering import drf_datetime
from common.text import canonical
from throttling import lockout_records
from throttling.identity import bucket_for_ip
from throttling.models import Lockout

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds a client is told to wait when the cache (hence the guard) is down.
CACHE_DOWN_RETRY_AFTER = 30
# Seconds to wait when refused only because other attempts are mid-check.
IN_FLIGHT_RETRY_AFTER = 1

USERNAME_IP = Lockout.Scope.USERNAME_IP.value
IP = Lockout.Scope.IP.value
USERNAME = Lockout.Scope.USERNAME.value


def normalize_username(username: str) -> str:
    """The form a username is counted under: its canonical form.

    "Alice", "ALICE" and "alice" share one counter, as they share one account
    (the login looks up this same form); "ıvy" and "ivy" are two.
    """
    return canonical(username)


def _digest(text: str) -> str:
    # Hashed: usernames are attacker-chosen text (spaces, control characters,
    # any length) and must not end up raw in a cache key.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _generation_key(namespace: str, scope: str, value: str) -> str:
    return f"bf:{namespace}:gen:{scope}:{_digest(value)}"


@dataclass(frozen=True)
class Subject:
    """One thing counted: a username from an address, an address, or a username.

    `username` is canonical and `ip` a bucket, or "" when the scope has none;
    `generation` is the stamps a pair's keys carry (see the module's docstring).
    """

    scope: str
    username: str = ""
    ip: str = ""
    generation: str = ""

    def key(self, namespace: str, what: str) -> str:
        identity = f"{self.username}\n{self.ip}\n{self.generation}"
        return f"bf:{namespace}:{self.scope}:{_digest(identity)}:{what}"

    @property
    def record(self) -> lockout_records.Subject:
        """The (scope, username, ip) a Lockout row stores."""
        return (self.scope, self.username, self.ip)


@dataclass(frozen=True)
class Subjects:
    """The three subjects of one attempt (a name and an address)."""

    pair: Subject
    ip: Subject
    username: Subject

    def locking(self) -> list[Subject]:
        """The subjects that lock: the pair and the address."""
        return [self.pair, self.ip]

    def all(self) -> list[Subject]:
        return [self.pair, self.ip, self.username]


class LoginGuard:
    """Counts login attempts per (username, IP), per IP and per username; locks or slows.

    One instance per namespace, each with its own counters: `login_guard`
    (the token endpoint, all prefixes) and `bf_demo_guard` (the demo).
    """

    # Collaborators as class attributes, so tests can swap them.
    cache = default_cache
    # Called through the module (not bound to time.time at import) so that
    # patching time.time in tests moves this clock and LocMem's together.
    timer: Callable[[], float] = staticmethod(lambda: time.time())

    # Every namespace ever created, so `unlock` can clear them all.
    namespaces: ClassVar[set[str]] = set()

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        LoginGuard.namespaces.add(namespace)

    # --- settings, read at call time -----------------------------------------

    @staticmethod
    def max_failures() -> int:
        return int(settings.LOGIN_MAX_FAILURES)

    @staticmethod
    def max_failures_per_ip() -> int:
        return int(settings.LOGIN_MAX_FAILURES_PER_IP)

    @staticmethod
    def max_failures_per_username() -> int:
        return int(settings.LOGIN_MAX_FAILURES_PER_USERNAME)

    def threshold(self, scope: str) -> int:
        """Failures that lock (or slow) a subject of this scope."""
        if scope == IP:
            return self.max_failures_per_ip()
        if scope == USERNAME:
            return self.max_failures_per_username()
        return self.max_failures()

    @staticmethod
    def failure_window() -> int:
        return int(settings.LOGIN_FAILURE_WINDOW)

    @staticmethod
    def lockout_seconds() -> int:
        return int(settings.LOGIN_LOCKOUT)

    # --- the login flow ------------------------------------------------------

    def reserve(self, username: str, ip: str | None) -> None:
        """Count one attempt before its password is checked.

        :raise LockedOut: the username from this IP, or the IP, is locked (in
            the cache or, after a cache flush, in the database).
        :raise RateLimited: the username is slowed (a distributed guess) and
            this address never logged into it; or this attempt would be one
            more than a threshold of failed or in-flight attempts (Retry-After 1).
        :raise ServiceUnavailable: the cache is down.
        """
        try:
            subjects = self._subjects(username, ip)
            self._refuse_if_locked(subjects.locking())
            self._refuse_if_recorded(subjects.locking())
            slowed_until = self._slowed_until(subjects.username)
            counts = [self._bump(s.key(self.namespace, "attempts")) for s in subjects.all()]
            # A lock may have been set between our first look and our count
            # (another attempt's failure): look again, so no attempt counted
            # in a new epoch slips past a fresh lock.
            until = self._lock_expiry(subjects.locking())
        except LockedOut:
            raise
        except Exception as exc:
            logger.warning(
                "login guard %s: cache unavailable (%s)", self.namespace, type(exc).__name__
            )
            raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER) from exc
        pair_count, ip_count, username_count = counts
        over = pair_count > self.max_failures() or ip_count > self.max_failures_per_ip()
        crowded = username_count > self.max_failures_per_username()
        if until is None and not over and not (slowed_until or crowded):
            return
        # Only a slowed (or crowded) username is left to decide: its owner's
        # familiar addresses pass. Asked only now, so the common path makes
        # no query.
        if until is None and not over and self._is_known(subjects, ip):
            return
        # Refused: give our count back, so refused attempts do not use up
        # the budget of later ones.
        self._release(subjects.all())
        now = self.timer()
        if until is not None:
            raise LockedOut(_retry_after(until, now))
        if slowed_until is not None and not over:
            raise RateLimited(_retry_after(slowed_until, now))
        # Not a lockout: nothing has failed yet. Come back in a moment.
        raise RateLimited(IN_FLIGHT_RETRY_AFTER)

    def release(self, username: str, ip: str | None) -> None:
        """Give back a reserved attempt whose check ended in an error, not an answer.

        Cache errors are logged, not raised: the caller is already handling
        the check's own error.
        """
        try:
            self._release(self._subjects(username, ip).all())
        except Exception:
            logger.warning("login guard %s: could not release an attempt", self.namespace)

    def record_failure(self, username: str, ip: str | None) -> None:
        """The password was wrong: count it; lock (or slow) each subject that reached its max.

        Call it outside any transaction that is about to roll back, or the
        Lockout row goes with it. Cache errors are logged, not raised: the
        attempt has already failed and its answer must not change.
        """
        try:
            for subject in self._subjects(username, ip).all():
                failures = self._bump(subject.key(self.namespace, "failures"))
                if failures < self.threshold(subject.scope):
                    continue
                if subject.scope == USERNAME:
                    self._slow(subject)
                else:
                    self._lock(subject, username=username)
        except Exception:
            logger.warning("login guard %s: could not record a failure", self.namespace)

    def record_success(self, username: str, ip: str | None) -> None:
        """The password was right: clear this (username, IP) pair's counters.

        The address's and the username's attempts are given back, their
        failures stay: a success from an address says nothing about the other
        names guessed from it, nor about the other addresses guessing at this
        name. The address becomes a known one for this username.
        """
        try:
            subjects = self._subjects(username, ip)
            self.cache.delete_many(
                [subjects.pair.key(self.namespace, what) for what in ("attempts", "failures")]
            )
            self._release([subjects.ip, subjects.username])
        except Exception:
            logger.warning("login guard %s: could not clear counters", self.namespace)
        if ip is None:
            return
        try:
            lockout_records.note_success(
                namespace=self.namespace,
                username=normalize_username(username),
                ip=bucket_for_ip(ip),
                at=self.timer(),
            )
        except DatabaseError:
            logger.warning("login guard %s: could not note a known address", self.namespace)

    def attempt(
        self, username: str, ip: str | None, check: Callable[[], T | None]
    ) -> T | None:
        """`reserve`, run `check` (None or falsy = wrong credentials), record the outcome.

        A `check` that raises is released, not counted, and its error goes on.

        :raise LockedOut, RateLimited, ServiceUnavailable: from `reserve`; then
            `check` never ran.
        """
        self.reserve(username, ip)
        try:
            result = check()
        except BaseException:
            self.release(username, ip)
            raise
        if result:
            self.record_success(username, ip)
        else:
            self.record_failure(username, ip)
        return result

    def status(self, username: str | None, ip: str) -> dict[str, Any]:
        """Counters and lock state, for the bf-demo status endpoint.

        `failures.username` counts the username's failures *from this IP*
        (the pair that locks), `failures.ip` the address's.

        :raise ServiceUnavailable: the cache is down.
        """
        now = self.timer()
        try:
            subjects = self._subjects(username or "", ip)
            watched = subjects.locking() if username is not None else [subjects.ip]
            pair_failures = (
                int(self.cache.get(subjects.pair.key(self.namespace, "failures"), 0))
                if username is not None
                else None
            )
            ip_failures = int(self.cache.get(subjects.ip.key(self.namespace, "failures"), 0))
            until = self._lock_expiry(watched) or self._recorded_expiry(watched)
        except Exception as exc:
            raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER) from exc
        return {
            "namespace": self.namespace,
            "username": subjects.username.username if username is not None else None,
            "ip": ip,
            "failures": {"username": pair_failures, "ip": ip_failures},
            "max_failures": self.max_failures(),
            "failure_window": self.failure_window(),
            "locked": until is not None,
            "locked_until": _iso(until) if until is not None else None,
            "retry_after": _retry_after(until, now) if until is not None else None,
        }

    # --- internals -----------------------------------------------------------

    def _subjects(self, username: str, ip: str | None) -> Subjects:
        """The attempt's three subjects, its pair keyed by the current generations.

        An attempt with no address (a script's `current_password`) is counted
        under the address "" (one pair per name, one shared address).
        """
        name = normalize_username(username)
        bucket = bucket_for_ip(ip) if ip is not None else ""
        generations = self.cache.get_many(
            [
                _generation_key(self.namespace, USERNAME, name),
                _generation_key(self.namespace, IP, bucket),
            ]
        )
        stamp = ":".join(
            str(generations.get(key, 0))
            for key in (
                _generation_key(self.namespace, USERNAME, name),
                _generation_key(self.namespace, IP, bucket),
            )
        )
        return Subjects(
            pair=Subject(USERNAME_IP, name, bucket, stamp),
            ip=Subject(IP, "", bucket),
            username=Subject(USERNAME, name, ""),
        )

    def _bump(self, key: str) -> int:
        """Atomically count one more: `add` creates the window, `incr` counts in it."""
        for _ in range(2):
            if self.cache.add(key, 1, timeout=self.failure_window()):
                return 1
            try:
                return int(self.cache.incr(key))
            except ValueError:
                continue  # the key expired between add and incr: start a new window
        raise RuntimeError("could not count a login attempt")

    def _release(self, subjects: Iterable[Subject]) -> None:
        for subject in subjects:
            try:
                self.cache.decr(subject.key(self.namespace, "attempts"))
            except Exception:  # gone (cleared or expired): nothing to give back
                continue

    def _lock_expiry(self, subjects: Iterable[Subject]) -> float | None:
        """The latest lock expiry (epoch seconds) among the subjects, or None.

        The stored expiry is the authority; the key's TTL only cleans up.
        """
        keys = [subject.key(self.namespace, "lock") for subject in subjects]
        now = self.timer()
        values = [float(v) for v in self.cache.get_many(keys).values() if v is not None]
        live = [until for until in values if until > now]
        return max(live) if live else None

    def _slowed_until(self, subject: Subject) -> float | None:
        value = self.cache.get(subject.key(self.namespace, "slow"))
        return float(value) if value is not None and float(value) > self.timer() else None

    def _is_known(self, subjects: Subjects, ip: str | None) -> bool:
        if ip is None:
            return False
        return lockout_records.is_known_address(
            namespace=self.namespace,
            username=subjects.username.username,
            ip=subjects.ip.ip,
            now=self.timer(),
        )

    def _refuse_if_locked(self, subjects: list[Subject]) -> None:
        until = self._lock_expiry(subjects)
        if until is not None:
            raise LockedOut(_retry_after(until, self.timer()))

    def _recorded_expiry(self, subjects: list[Subject]) -> float | None:
        """A lock the database holds but the cache lost, put back into the cache.

        A database error answers None (fail open to the cache, which said
        "not locked"): the cache is the guard's working store, and a login
        cannot succeed without the database anyway.
        """
        now = self.timer()
        by_record = {subject.record: subject for subject in subjects}
        try:
            locks = lockout_records.active_locks(self.namespace, by_record, now=now)
        except DatabaseError:
            logger.warning("login guard %s: could not read lockout records", self.namespace)
            return None
        # Re-seed the cache (only the subjects really locked), so the next
        # attempts are answered without a query.
        for record, until in locks.items():
            ttl = max(1, math.ceil(until - now))
            self.cache.add(by_record[record].key(self.namespace, "lock"), until, ttl)
        return max(locks.values()) if locks else None

    def _refuse_if_recorded(self, subjects: list[Subject]) -> None:
        until = self._recorded_expiry(subjects)
        if until is not None:
            raise LockedOut(_retry_after(until, self.timer()))

    def _lock(self, subject: Subject, *, username: str) -> None:
        """Set the lock once (`add`: concurrent failures race, one wins) and record it."""
        seconds = self.lockout_seconds()
        now = self.timer()
        until = now + seconds
        if not self.cache.add(subject.key(self.namespace, "lock"), until, seconds):
            return  # already locked by a concurrent failure
        # A fresh budget once the lock ends, instead of counters still at the max.
        self.cache.delete_many(
            [subject.key(self.namespace, what) for what in ("attempts", "failures")]
        )
        try:
            lockout_records.record_lock(
                namespace=self.namespace,
                scope=subject.scope,
                # An IP lock names the username whose failure tipped it over.
                username=subject.username or normalize_username(username),
                ip=subject.ip,
                locked_at=now,
                locked_until=until,
            )
        except DatabaseError:
            # The lock holds (it is in the cache); only the audit row is lost.
            logger.exception("login guard %s: could not record a lockout", self.namespace)
        logger.info("login guard %s: locked %s for %d s", self.namespace, subject.scope, seconds)

    def _slow(self, subject: Subject) -> None:
        """Slow a username guessed at from many addresses, once (`add`), for LOGIN_LOCKOUT.

        Not a lock and not recorded: familiar addresses still log in, and a
        cache flush only gives the crowd another LOGIN_MAX_FAILURES_PER_USERNAME.
        """
        seconds = self.lockout_seconds()
        until = self.timer() + seconds
        if not self.cache.add(subject.key(self.namespace, "slow"), until, seconds):
            return
        self.cache.delete_many(
            [subject.key(self.namespace, what) for what in ("attempts", "failures")]
        )
        logger.info("login guard %s: slowed a username for %d s", self.namespace, seconds)


def _retry_after(until: float, now: float) -> int:
    return max(1, math.ceil(until - now))


def _iso(epoch: float) -> str:
    return drf_datetime(datetime.fromtimestamp(epoch, tz=UTC))


def ip_locks_for(username: str) -> list[Lockout]:
    """The active IP locks recorded with this username's failures, in every namespace.

    An IP lock blocks every name behind the address, so lifting a user's own
    locks may leave them locked out. These are the IP locks an admin helping
    that user also has to lift: locks whose row names this username (its
    failure was the one that tipped the address over), and locks of the
    addresses this username's own lock rows were recorded from (rows whose
    lock period has not ended, lifted or not: `unlock --username` then
    `--with-ip` still finds them).

    Only the rows are consulted: failures below a threshold leave none, so an
    address locked entirely by other names' failures is not found here (lift
    it with `unlock --ip`).
    """
    name = lockout_records.cut_username(normalize_username(username))
    now = datetime.fromtimestamp(LoginGuard.timer(), tz=UTC)
    own_addresses = Lockout.objects.filter(
        scope__in=[USERNAME_IP, USERNAME], username=name, locked_until__gt=now
    ).exclude(ip="").values_list("ip", flat=True)
    return list(
        Lockout.objects.filter(
            Q(username=name) | Q(ip__in=list(own_addresses)),
            scope=IP,
            lifted_at__isnull=True,
            locked_until__gt=now,
        ).order_by("ip", "namespace")
    )


def unlock(*, username: str | None = None, ip: str | None = None, by: str | None = None) -> int:
    """Lift locks and clear counters for a username and/or an IP, in every namespace.

    A username: its locks from every address, and its slowdown. An IP: the
    address's lock, and every name's lock from it. The IP locks that may
    still block a username are `ip_locks_for(username)` (`manage.py unlock
    --with-ip` and the admin's Unlock lift those too).

    :return: how many active `Lockout` rows were marked lifted.
    :raise ValueError: neither a username nor an IP was given.
    :raise ServiceUnavailable: the cache is down (the locks live there).
    """
    if not username and not ip:
        raise ValueError("unlock needs a username, an IP or both")
    name = normalize_username(username) if username else None
    bucket = bucket_for_ip(ip) if ip else None
    namespaces = set(LoginGuard.namespaces)
    namespaces.update(Lockout.objects.values_list("namespace", flat=True).distinct())
    # The pairs' keys end with a new generation stamp; the fixed keys are cleared.
    generations = {}
    fixed: list[Subject] = []
    if name is not None:
        fixed.append(Subject(USERNAME, name, ""))
    if bucket is not None:
        fixed.append(Subject(IP, "", bucket))
    stamp = time.time_ns()
    for namespace in namespaces:
        if name is not None:
            generations[_generation_key(namespace, USERNAME, name)] = stamp
        if bucket is not None:
            generations[_generation_key(namespace, IP, bucket)] = stamp
    keys = [
        subject.key(namespace, what)
        for namespace in sorted(namespaces)
        for subject in fixed
        for what in ("attempts", "failures", "lock", "slow")
    ]
    # The rows first: a login arriving between the two steps would otherwise
    # find the cache empty, the row still active, and put the lock back.
    now = datetime.fromtimestamp(LoginGuard.timer(), tz=UTC)
    match = lockout_records.lifting_match(username=name, ip=bucket)
    active = Lockout.objects.filter(match, lifted_at__isnull=True, locked_until__gt=now)
    lifted = active.update(lifted_at=now, lifted_by=(by or "")[:150])
    try:
        # No expiry: a generation that vanished would bring older keys back.
        LoginGuard.cache.set_many(generations, timeout=None)
        LoginGuard.cache.delete_many(keys)
    except Exception as exc:
        raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER) from exc
    return lifted


# The token endpoint's guard (every prefix) and the demo's, with separate counters.
login_guard = LoginGuard("login")
bf_demo_guard = LoginGuard("bf-demo")
