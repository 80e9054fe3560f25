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

A tombstone or stamp that cannot be written (the cache down or stalled) is
retried in the background until it lands (common/retry.py). Were the
process to die first, snapshots still expire after SNAPSHOT_TTL seconds:
that is the bound. Bulk `User.objects.update()` sends no signal: call
`user_changed(user_id)` after one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from common import redis_client as store
from common.retry import cache_retry

# How long a snapshot spares the database, and so the bound on staleness if a
# tombstone were lost with its process.
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


def families_revoked(family_ids: list[str]) -> None:
    """Tombstone these families once the current transaction commits."""
    for family_id in family_ids:
        key = family_key(str(family_id))
        transaction.on_commit(
            lambda key=key: cache_retry.run(key, lambda: store.set_value(key, REVOKED,
                                                                         TOMBSTONE_TTL))
        )


def user_changed(user_id: int | str) -> None:
    """Give the user a new stamp once the current transaction commits."""
    key = user_key(str(user_id))
    transaction.on_commit(
        lambda: cache_retry.run(key, lambda: store.set_value(key, _new_stamp(), STAMP_TTL))
    )


@receiver(post_save, dispatch_uid="accounts.token_snapshots.user_saved")
def _user_saved(sender: type, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    from django.contrib.auth import get_user_model

    if sender is not get_user_model():
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login changes nothing a token's validity depends on
    user_changed(instance.pk)
