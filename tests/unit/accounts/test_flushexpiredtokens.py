"""manage.py flushexpiredtokens: finished login families and old lockouts go, nothing else."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import jwt
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.management.commands.flushexpiredtokens import delete_in_batches
from accounts.models import RevokedReason, TokenFamily, User
from accounts.tokens import InvalidGrant, TokenPair, token_service
from throttling.models import KnownAddress, Lockout


def flush(*args: str) -> str:
    out = StringIO()
    call_command("flushexpiredtokens", *args, stdout=out)
    return out.getvalue()


def lockout(*, ended_days_ago: float, lifted: bool = False) -> Lockout:
    """A lockout that ended (ran out, or was lifted) `ended_days_ago` days ago; < 0: still on."""
    end = timezone.now() - timedelta(days=ended_days_ago)
    return Lockout.objects.create(
        namespace="login", scope=Lockout.Scope.USERNAME, username="alice",
        locked_at=end - timedelta(minutes=15),
        locked_until=end + timedelta(minutes=10) if lifted else end,
        lifted_at=end if lifted else None,
    )


def family_of(pair: TokenPair) -> str:
    return str(jwt.decode(pair.access_token, options={"verify_signature": False})["fam"])


def logout(pair: TokenPair) -> None:
    token_service.logout(claims=token_service.verify_access(pair.access_token))


def test_flush_deletes_families_that_ended_before_the_kept_days(alice: User) -> None:
    # Families end 30 days (REFRESH_FAMILY_LIFETIME) after they open.
    with time_machine.travel(timedelta(days=-45)):
        ended_long_ago = token_service.issue_for_login(alice)
        revoked_long_ago = token_service.issue_for_login(alice)
        logout(revoked_long_ago)
    with time_machine.travel(timedelta(days=-33)):
        ended_recently = token_service.issue_for_login(alice)  # 3 days ago: kept
    revoked_open = token_service.issue_for_login(alice)
    logout(revoked_open)
    active = token_service.issue_for_login(alice)

    assert "Deleted 2 login families" in flush()

    remaining = {str(pk) for pk in TokenFamily.objects.values_list("pk", flat=True)}
    assert remaining == {family_of(pair) for pair in (ended_recently, revoked_open, active)}
    # A token of a deleted family is refused like any unknown one.
    with pytest.raises(InvalidGrant):
        token_service.rotate(ended_long_ago.refresh_token)
    token_service.rotate(active.refresh_token)  # the live login carries on
    revoked = TokenFamily.objects.get(pk=family_of(revoked_open))
    assert revoked.revoked_reason == RevokedReason.LOGOUT  # kept for the admin until it ends


def test_flush_deletes_lockouts_that_ended_long_ago(db: None) -> None:
    ran_out = lockout(ended_days_ago=10)
    lifted = lockout(ended_days_ago=10, lifted=True)
    recent = lockout(ended_days_ago=1)
    active = lockout(ended_days_ago=-1)  # still locked: the row restores the lock
    assert "and 2 lockout records" in flush()
    assert set(Lockout.objects.values_list("pk", flat=True)) == {recent.pk, active.pk}
    assert not Lockout.objects.filter(pk__in=[ran_out.pk, lifted.pk]).exists()


def test_keep_days_zero_keeps_only_what_is_still_running(alice: User) -> None:
    with time_machine.travel(timedelta(days=-31)):
        token_service.issue_for_login(alice)
    token_service.issue_for_login(alice)
    recent = lockout(ended_days_ago=0.01)
    active = lockout(ended_days_ago=-0.01)
    flush("--keep-days", "0")
    assert TokenFamily.objects.count() == 1
    assert set(Lockout.objects.values_list("pk", flat=True)) == {active.pk}
    assert recent.pk not in Lockout.objects.values_list("pk", flat=True)


def test_dry_run_deletes_nothing(alice: User) -> None:
    with time_machine.travel(timedelta(days=-45)):
        token_service.issue_for_login(alice)
    lockout(ended_days_ago=10)
    output = flush("--dry-run")
    assert "Would delete 1 login families and 1 lockout records" in output
    assert TokenFamily.objects.count() == 1 and Lockout.objects.count() == 1


def test_negative_keep_days_is_refused(db: None) -> None:
    with pytest.raises(CommandError):
        flush("--keep-days", "-1")


def test_delete_in_batches_empties_the_queryset_across_batches(db: None) -> None:
    for _ in range(5):
        lockout(ended_days_ago=10)
    assert delete_in_batches(Lockout.objects.all(), batch_size=2) == 5
    assert not Lockout.objects.exists()


def test_flush_deletes_known_addresses_no_longer_familiar(db: None) -> None:
    def known(ip: str, days_ago: int) -> KnownAddress:
        return KnownAddress.objects.create(
            namespace="login", username="alice", ip=ip,
            last_login_at=timezone.now() - timedelta(days=days_ago),
        )

    known("192.0.2.1", 31)
    recent = known("192.0.2.2", 29)
    assert "and 1 known login addresses" in flush("--dry-run")
    assert "and 1 known login addresses" in flush()
    assert list(KnownAddress.objects.values_list("pk", flat=True)) == [recent.pk]
