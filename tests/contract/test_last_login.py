"""A password grant at any prefix stamps the user's last_login (the admin shows it)."""

from __future__ import annotations

from django.utils import timezone

from accounts.models import User

from .conftest import Account, Api


def test_login_sets_last_login(api: Api, alice: Account) -> None:
    assert User.objects.get(pk=alice.id).last_login is None
    before = timezone.now()
    api.login(alice.username)
    stamped = User.objects.get(pk=alice.id).last_login
    assert stamped is not None and stamped >= before


def test_failed_login_leaves_last_login_alone(api: Api, alice: Account) -> None:
    assert api.password_grant(alice.username, "wrong-password-1").status_code == 400
    assert User.objects.get(pk=alice.id).last_login is None
