"""Brute-force protection for logins: count, lock, record, unlock.

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

Why reserve first: counting after the password check lets N parallel wrong
attempts all pass a "fewer than 5 failures so far?" test and all reach the
hash. So each subject (a username, an IP) has two counters, both counted
atomically with the cache's `add` + `incr`:

- `attempts`, taken by `reserve` *before* the check: attempts that failed
  or are still in flight (for a username: since its last success). Past the
  subject's threshold the attempt is refused (and gives its count back), so
  N parallel attempts cause at most LOGIN_MAX_FAILURES password checks. Such a refusal is 429
  `rate_limited` with Retry-After 1, not a lockout: nothing has failed yet,
  and the attempts in flight may all be correct.
- `failures`, counted by `record_failure`: exactly one failure sees the
  count reach the max, and that one sets the lock and writes the row.

Both live LOGIN_FAILURE_WINDOW seconds from their first count and are reset
when the lock is set, so the next window starts fresh once the lock ends.

Usernames and IPs are counted separately, each against its own threshold:
a username is locked after LOGIN_MAX_FAILURES failures whichever IPs guess
at it, an IP after LOGIN_MAX_FAILURES_PER_IP (higher: one person's typos must
not lock everyone behind the same address, the admin included) whichever
usernames it sprays. A success clears its username's counters only, and
gives back the IP's attempt without touching the IP's failures: otherwise an
attacker with an account of their own could log in every few guesses and
spray forever.

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
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterable
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

USERNAME = Lockout.Scope.USERNAME.value
IP = Lockout.Scope.IP.value


def normalize_username(username: str) -> str:
    """The form a username is counted under: its canonical form.

    "Alice", "ALICE" and "alice" share one counter, as they share one account
    (the login looks up this same form); "ıvy" and "ivy" are two.
    """
    return canonical(username)


def _key(namespace: str, scope: str, subject: str, what: str) -> str:
    # Hashed: usernames are attacker-chosen text (spaces, control characters,
    # any length) and must not end up raw in a cache key.
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"bf:{namespace}:{scope}:{digest}:{what}"


def _subjects(username: str | None, ip: str | None) -> list[tuple[str, str]]:
    """(scope, subject) pairs: the normalized username and the IP's bucket."""
    pairs = []
    if username is not None:
        pairs.append((USERNAME, normalize_username(username)))
    if ip is not None:
        pairs.append((IP, bucket_for_ip(ip)))
    return pairs


class LoginGuard:
    """Counts login attempts per username and per IP; locks either after too many failures.

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

    def threshold(self, scope: str) -> int:
        """Failures that lock a subject: LOGIN_MAX_FAILURES a username, the higher
        LOGIN_MAX_FAILURES_PER_IP an IP."""
        return self.max_failures_per_ip() if scope == IP else self.max_failures()

    @staticmethod
    def failure_window() -> int:
        return int(settings.LOGIN_FAILURE_WINDOW)

    @staticmethod
    def lockout_seconds() -> int:
        return int(settings.LOGIN_LOCKOUT)

    # --- the login flow ------------------------------------------------------

    def reserve(self, username: str, ip: str | None) -> None:
        """Count one attempt before its password is checked.

        :raise LockedOut: the username or IP is locked (in the cache or, after
            a cache flush, in the database).
        :raise RateLimited: not locked, but this attempt would be one more than
            the username's or the IP's threshold of failed or in-flight
            attempts (Retry-After 1).
        :raise ServiceUnavailable: the cache is down.
        """
        subjects = _subjects(username, ip)
        try:
            self._refuse_if_locked(subjects)
            self._refuse_if_recorded(subjects)
            counts = [self._bump(_key(self.namespace, *s, "attempts")) for s in subjects]
            # A lock may have been set between our first look and our count
            # (another attempt's failure): look again, so no attempt counted
            # in a new epoch slips past a fresh lock.
            until = self._lock_expiry(subjects)
        except LockedOut:
            raise
        except Exception as exc:
            logger.warning(
                "login guard %s: cache unavailable (%s)", self.namespace, type(exc).__name__
            )
            raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER) from exc
        over = any(
            count > self.threshold(scope)
            for (scope, _), count in zip(subjects, counts, strict=True)
        )
        if until is not None or over:
            # Locked, or enough attempts are already mid-check (or failed)
            # that, should they fail, they set the lock. Give our count back:
            # refused attempts must not use up the budget of later ones.
            self._release(subjects)
            if until is not None:
                raise LockedOut(_retry_after(until, self.timer()))
            # Not a lockout: nothing has failed yet. Come back in a moment.
            raise RateLimited(IN_FLIGHT_RETRY_AFTER)

    def release(self, username: str, ip: str | None) -> None:
        """Give back a reserved attempt whose check ended in an error, not an answer.

        Cache errors are logged, not raised: the caller is already handling
        the check's own error.
        """
        try:
            self._release(_subjects(username, ip))
        except Exception:
            logger.warning("login guard %s: could not release an attempt", self.namespace)

    def record_failure(self, username: str, ip: str | None) -> None:
        """The password was wrong: count it, and lock each subject that reached the max.

        Call it outside any transaction that is about to roll back, or the
        Lockout row goes with it. Cache errors are logged, not raised: the
        attempt has already failed and its answer must not change.
        """
        try:
            for scope, subject in _subjects(username, ip):
                failures = self._bump(_key(self.namespace, scope, subject, "failures"))
                if failures >= self.threshold(scope):
                    self._lock(scope, subject, username=username, ip=ip)
        except Exception:
            logger.warning("login guard %s: could not record a failure", self.namespace)

    def record_success(self, username: str, ip: str | None) -> None:
        """The password was right: clear this username's counters, give back the IP's attempt.

        The IP's failures stay: a success from an address says nothing about
        the other names guessed from it (an attacker logging in to their own
        account between guesses must still reach the IP's threshold).
        """
        (name,) = _subjects(username, None)
        keys = [_key(self.namespace, *name, what) for what in ("attempts", "failures")]
        try:
            self.cache.delete_many(keys)
            if ip is not None:
                self._release(_subjects(None, ip))
        except Exception:
            logger.warning("login guard %s: could not clear counters", self.namespace)

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

        :raise ServiceUnavailable: the cache is down.
        """
        now = self.timer()
        subjects = dict(_subjects(username, ip))
        try:
            failures = {
                scope: (
                    int(self.cache.get(_key(self.namespace, scope, subject, "failures"), 0))
                    if subject is not None
                    else None
                )
                for scope, subject in ((USERNAME, subjects.get(USERNAME)), (IP, subjects[IP]))
            }
            until = self._lock_expiry(subjects.items()) or self._recorded_expiry(
                list(subjects.items())
            )
        except Exception as exc:
            raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER) from exc
        return {
            "namespace": self.namespace,
            "username": subjects.get(USERNAME),
            "ip": ip,
            "failures": failures,
            "max_failures": self.max_failures(),
            "failure_window": self.failure_window(),
            "locked": until is not None,
            "locked_until": _iso(until) if until is not None else None,
            "retry_after": _retry_after(until, now) if until is not None else None,
        }

    # --- internals -----------------------------------------------------------

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

    def _release(self, subjects: list[tuple[str, str]]) -> None:
        for subject in subjects:
            try:
                self.cache.decr(_key(self.namespace, *subject, "attempts"))
            except Exception:  # gone (cleared or expired): nothing to give back
                continue

    def _lock_expiry(self, subjects: Iterable[tuple[str, str]]) -> float | None:
        """The latest lock expiry (epoch seconds) among the subjects, or None.

        The stored expiry is the authority; the key's TTL only cleans up.
        """
        keys = [_key(self.namespace, scope, subject, "lock") for scope, subject in subjects]
        now = self.timer()
        values = [float(v) for v in self.cache.get_many(keys).values() if v is not None]
        live = [until for until in values if until > now]
        return max(live) if live else None

    def _refuse_if_locked(self, subjects: list[tuple[str, str]]) -> None:
        until = self._lock_expiry(subjects)
        if until is not None:
            raise LockedOut(_retry_after(until, self.timer()))

    def _recorded_expiry(self, subjects: list[tuple[str, str]]) -> float | None:
        """A lock the database holds but the cache lost, put back into the cache.

        A database error answers None (fail open to the cache, which said
        "not locked"): the cache is the guard's working store, and a login
        cannot succeed without the database anyway.
        """
        now = self.timer()
        try:
            locks = lockout_records.active_locks(self.namespace, subjects, now=now)
        except DatabaseError:
            logger.warning("login guard %s: could not read lockout records", self.namespace)
            return None
        # Re-seed the cache (only the subjects really locked), so the next
        # attempts are answered without a query.
        for (scope, subject), until in locks.items():
            ttl = max(1, math.ceil(until - now))
            self.cache.add(_key(self.namespace, scope, subject, "lock"), until, ttl)
        return max(locks.values()) if locks else None

    def _refuse_if_recorded(self, subjects: list[tuple[str, str]]) -> None:
        until = self._recorded_expiry(subjects)
        if until is not None:
            raise LockedOut(_retry_after(until, self.timer()))

    def _lock(self, scope: str, subject: str, *, username: str, ip: str | None) -> None:
        """Set the lock once (`add`: concurrent failures race, one wins) and record it."""
        seconds = self.lockout_seconds()
        now = self.timer()
        until = now + seconds
        if not self.cache.add(_key(self.namespace, scope, subject, "lock"), until, seconds):
            return  # already locked by a concurrent failure
        # A fresh budget once the lock ends, instead of counters still at the max.
        self.cache.delete_many(
            [_key(self.namespace, scope, subject, what) for what in ("attempts", "failures")]
        )
        try:
            lockout_records.record_lock(
                namespace=self.namespace,
                scope=scope,
                username=normalize_username(username),
                ip=bucket_for_ip(ip) if ip is not None else "",
                locked_at=now,
                locked_until=until,
            )
        except DatabaseError:
            # The lock holds (it is in the cache); only the audit row is lost.
            logger.exception("login guard %s: could not record a lockout", self.namespace)
        logger.info("login guard %s: locked %s for %d s", self.namespace, scope, seconds)


def _retry_after(until: float, now: float) -> int:
    return max(1, math.ceil(until - now))


def _iso(epoch: float) -> str:
    return drf_datetime(datetime.fromtimestamp(epoch, tz=UTC))


def ip_locks_for(username: str) -> list[Lockout]:
    """The active IP locks recorded with this username's failures, in every namespace.

    An IP lock blocks every name behind the address, so lifting a user's own
    lock may leave them locked out. These are the IP locks an admin helping
    that user also has to lift: locks whose row names this username (its
    failure was the one that tipped the address over), and locks of the
    addresses this username's own lock rows were recorded from (rows whose
    lock period has not ended, lifted or not: `unlock --username` then
    `--with-ip` still finds them).

    Only the rows are consulted: failures below a threshold leave none, so an
    address locked entirely by other names' failures is not found here (lift
    it with `unlock --ip`).
    """
    name = lockout_records.cut(USERNAME, normalize_username(username))
    now = datetime.fromtimestamp(LoginGuard.timer(), tz=UTC)
    own_addresses = Lockout.objects.filter(
        scope=USERNAME, username=name, locked_until__gt=now
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

    A username's unlock lifts the username's lock only; the IP locks that may
    still block it are `ip_locks_for(username)` (`manage.py unlock --with-ip`
    and the admin's Unlock lift those too).

    :return: how many active `Lockout` rows were marked lifted.
    :raise ValueError: neither a username nor an IP was given.
    :raise ServiceUnavailable: the cache is down (the locks live there).
    """
    if not username and not ip:
        raise ValueError("unlock needs a username, an IP or both")
    subjects = _subjects(username or None, ip or None)
    namespaces = set(LoginGuard.namespaces)
    namespaces.update(Lockout.objects.values_list("namespace", flat=True).distinct())
    keys = [
        _key(namespace, scope, subject, what)
        for namespace in sorted(namespaces)
        for scope, subject in subjects
        for what in ("attempts", "failures", "lock")
    ]
    # The rows first: a login arriving between the two steps would otherwise
    # find the cache empty, the row still active, and put the lock back.
    now = datetime.fromtimestamp(LoginGuard.timer(), tz=UTC)
    match = lockout_records.subject_match(subjects)
    active = Lockout.objects.filter(match, lifted_at__isnull=True, locked_until__gt=now)
    lifted = active.update(lifted_at=now, lifted_by=(by or "")[:150])
    try:
        LoginGuard.cache.delete_many(keys)
    except Exception as exc:
        raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER) from exc
    return lifted


# The token endpoint's guard (every prefix) and the demo's, with separate counters.
login_guard = LoginGuard("login")
bf_demo_guard = LoginGuard("bf-demo")
