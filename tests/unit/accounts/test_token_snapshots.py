"""token_snapshots: when a snapshot may vouch for a token, and how revocation beats it."""

from __future__ import annotations

from typing import Any

import pytest

from accounts import token_snapshots
from accounts.models import RevokedReason, User
from accounts.token_snapshots import SnapshotCheck
from accounts.tokens import token_service
from common import redis_client
from common.retry import cache_retry


def vouched(check: SnapshotCheck) -> bool:
    family_value, stamp = redis_client.get_many(check.keys)
    return check.verdict(family_value, stamp)


def warm(check: SnapshotCheck) -> None:
    """What two database-checked reads leave behind: a stamp, then a snapshot."""
    for _ in range(2):
        _family, stamp = redis_client.get_many(check.keys)
        check.remember(stamp)


@pytest.mark.django_db(transaction=True)
class TestSnapshots:
    def check_for(self, user: User) -> tuple[SnapshotCheck, Any]:
        pair = token_service.issue_for_login(user)
        claims = token_service.verify_access(pair.access_token)
        return SnapshotCheck(family_id=str(claims["fam"]), user_id=str(user.pk)), claims

    def test_nothing_vouches_until_the_database_has_said_yes(self, alice: User) -> None:
        check, _ = self.check_for(alice)
        assert not vouched(check)
        warm(check)
        assert vouched(check)

    def test_a_snapshot_never_overwrites_a_tombstone(self, alice: User) -> None:
        check, _ = self.check_for(alice)
        warm(check)
        token_service.revoke_all_for_user(alice, RevokedReason.ADMIN)
        assert not vouched(check)
        _family, stamp = redis_client.get_many(check.keys)
        check.remember(stamp)  # a reader that checked the database just before the revoke
        assert not vouched(check)

    def test_any_save_of_the_user_invalidates_every_snapshot(self, alice: User) -> None:
        check, _ = self.check_for(alice)
        warm(check)
        alice.email = "new@example.com"
        alice.save()
        assert not vouched(check)

    def test_a_login_timestamp_changes_nothing(self, alice: User) -> None:
        check, _ = self.check_for(alice)
        warm(check)
        alice.save(update_fields=["last_login"])
        assert vouched(check)

    def test_a_revoke_made_while_the_cache_is_down_lands_when_it_is_back(
        self, alice: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        check, _ = self.check_for(alice)
        warm(check)

        def down(*args: Any, **kwargs: Any) -> None:
            raise ConnectionError("redis is down")

        monkeypatch.setattr(token_snapshots.store, "set_value", down)
        token_service.revoke_all_for_user(alice, RevokedReason.LOGOUT)  # the database is the record
        assert cache_retry.pending()  # the tombstone waits
        monkeypatch.undo()
        cache_retry.drain()  # what the retry thread does every 0.25 s
        assert cache_retry.pending() == []
        assert not vouched(check)
