"""Remembering "this login was valid a moment ago", so a cached read needs no query.

    auth:fam:<family id>  ->  b"ok:<user id>:<user stamp>"    (60 s)   after the database said yes
                          ->  b"revoked"                      (1 day)  after any revocation
    auth:user:<user id>   ->  b"<stamp>"                      new at every change of the user

Every access token is checked against its login family and its user
(accounts/tokens.py: `authenticate_access`, one query). For most endpoints
that query is noise beside the work they do; for a cached `GET /books` it
would be most of the request. So the hot read path (books/fast_read.py)
reads these two keys in the same round trip as the rate limit and the page,
and trusts the token without the database when:

- the family's snapshot is `ok` for the token's user, and
- the user's stamp is the one the snapshot was taken under.

Revocation stays immediate, at every prefix and in every process, because
every change writes here before (or as) it is acknowledged:

- a revoked family (logout, reuse, password change, admin) gets a tombstone,
  written with a plain SET, so it replaces an `ok` snapshot;
- a changed user (deactivated, deleted, role or password changed: any save)
  gets a new stamp, which invalidates every snapshot of that user at once;
- a snapshot is only ever written with SET NX, *after* a database check and
  with the stamp read *before* it: it can never overwrite a tombstone, and a
  change that lands during the check leaves it with a stale stamp.

Both are promises kept in the database (common/retry.py): the revocation or
the user's change and an outbox row (`token_revocation` with the family id,
`user_stamp` with the user id) commit together, and the cache is written
after COMMIT. One that cannot be written (the cache down or stalled) stays
on record and is retried until it lands, by this process or, if it dies
first (a double fault), by any other server process: each reads the outbox
at start-up and every second. So a revoked token is refused on the cached
path within 2 s of the cache answering again, not after SNAPSHOT_TTL.
Bulk `User.objects.update()` sends no signal: call `user_changed(user_id)`
after one (inside its transaction, or right after it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from common import redis_client as store
from common.retry import cache_retry

# How long a snapshot spares the database (a tombstone that cannot be written
# is kept in the outbox, so this is no longer the staleness bound).
SNAPSHOT_TTL = 60
# Tombstones outlive any snapshot write that could race them by far.
TOMBSTONE_TTL = 86_400
# User stamps live as long as the longest login could.
STAMP_TTL = 31 * 86_400

REVOKED = b"revoked"


def family_key(family_id: str) -> str:
    return f"auth:fam:{family_id}"


def user_key(user_id: str) -> str:
    return f"auth:user:{user_id}"


def _new_stamp() -> bytes:
    return b"%x" % time.time_ns()


@dataclass(frozen=True)
class SnapshotCheck:
    """The two keys one token's check reads, and what their values mean."""

    family_id: str
    user_id: str

    @property
    def keys(self) -> list[str]:
        return [family_key(self.family_id), user_key(self.user_id)]

    def verdict(self, family_value: Any, user_stamp: Any) -> bool:
        """True when the snapshot vouches for this token right now."""
        if family_value is None or user_stamp is None:
            return False
        expected = b"ok:%s:%s" % (self.user_id.encode(), bytes(user_stamp))
        return bytes(family_value) == expected

    def remember(self, stamp_seen: Any) -> None:
        """After the database said yes: write the snapshot (never over a tombstone).

        `stamp_seen` is the user's stamp read before the database check; without
        one, this call only starts the user's stamp, and the next check writes
        the snapshot.
        """
        try:
            if stamp_seen is None:
                store.add_value(user_key(self.user_id), _new_stamp(), STAMP_TTL)
                return
            value = b"ok:%s:%s" % (self.user_id.encode(), bytes(stamp_seen))
            store.add_value(family_key(self.family_id), value, SNAPSHOT_TTL)
        except Exception:
            return  # only a lost shortcut: the next request asks the database


# Outbox kinds (common/retry.py): the payload is a family id, a user id.
TOKEN_REVOCATION = "token_revocation"
USER_STAMP = "user_stamp"


def _write_tombstone(family_id: str) -> None:
    store.set_value(family_key(family_id), REVOKED, TOMBSTONE_TTL)


def _write_stamp(user_id: str) -> None:
    store.set_value(user_key(user_id), _new_stamp(), STAMP_TTL)


cache_retry.register(TOKEN_REVOCATION, _write_tombstone)
cache_retry.register(USER_STAMP, _write_stamp)


def families_revoked(family_ids: list[str]) -> None:
    """Tombstone these families once the current transaction commits (on record until then)."""
    for family_id in family_ids:
        cache_retry.promise(TOKEN_REVOCATION, str(family_id))


def user_changed(user_id: int | str) -> None:
    """Give the user a new stamp once the current transaction commits (on record until then)."""
    cache_retry.promise(USER_STAMP, str(user_id))


@receiver(post_save, dispatch_uid="accounts.token_snapshots.user_saved")
def _user_saved(sender: type, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    from django.contrib.auth import get_user_model

    if sender is not get_user_model():
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing a token's validity depends on
    user_changed(instance.pk)
