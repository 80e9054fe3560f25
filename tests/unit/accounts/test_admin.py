"""The admin pages: they render, hide nothing they shouldn't show, and revoke."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import RevokedReason, TokenFamily, User
from accounts.tokens import token_service

from .conftest import NEW_PASSWORD, PASSWORD


@pytest.fixture
def staff(db: None) -> Client:
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client = Client()
    client.login(username="boss", password=PASSWORD)
    return client


def test_user_changelist_and_filters_render(staff: Client, alice: User) -> None:
    for query in ("", "?role=admin", "?deleted=yes", "?is_active__exact=0", "?q=ali"):
        assert staff.get(f"/admin/accounts/user/{query}").status_code == 200


def test_user_change_page_shows_no_raw_hash_input(staff: Client, alice: User) -> None:
    page = staff.get(f"/admin/accounts/user/{alice.pk}/change/").content.decode()
    assert 'name="password"' not in page  # Django's read-only hash summary only


def test_family_changelist_and_revoke_action(staff: Client, alice: User) -> None:
    token_service.issue_for_login(alice)
    family = TokenFamily.objects.get(user=alice)
    for query in ("", "?state=active", "?state=revoked", "?state=expired"):
        assert staff.get(f"/admin/accounts/tokenfamily/{query}").status_code == 200
    response = staff.post(
        "/admin/accounts/tokenfamily/",
        {"action": "revoke_selected", "_selected_action": [str(family.pk)]},
    )
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.revoked_reason == RevokedReason.ADMIN and family.state() == "revoked"


def test_admin_deactivation_and_password_change_revoke(staff: Client, alice: User) -> None:
    token_service.issue_for_login(alice)
    url = f"/admin/accounts/user/{alice.pk}/password/"
    response = staff.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
                                "usable_password": "true"})
    assert response.status_code == 302, response.content[:500]
    assert TokenFamily.objects.get(user=alice).revoked_reason == RevokedReason.PASSWORD_CHANGE


def test_admin_save_model_revokes_on_deactivation(alice: User, rf: Any) -> None:
    from django.contrib.admin.sites import site

    token_service.issue_for_login(alice)
    model_admin = site._registry[User]

    class Form:
        changed_data = ["is_active"]

    alice.is_active = False
    model_admin.save_model(rf.post("/"), alice, Form(), change=True)
    assert TokenFamily.objects.get(user=alice).revoked_reason == RevokedReason.DEACTIVATED


def test_admin_disabling_the_password_revokes(staff: Client, alice: User) -> None:
    # Django's password form can also make the password unusable.
    token_service.issue_for_login(alice)
    url = f"/admin/accounts/user/{alice.pk}/password/"
    response = staff.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302, response.content[:500]
    alice.refresh_from_db()
    assert not alice.has_usable_password()
    assert TokenFamily.objects.get(user=alice).revoked_reason == RevokedReason.PASSWORD_CHANGE
