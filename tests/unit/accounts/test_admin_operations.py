"""The admin as an operator uses it: soft delete and restore, revoking, case-blind
uniqueness, read-only audit rows; and `createsuperuser` with the same rules."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.models import RevokedReason, TokenFamily, User
from accounts.tokens import token_service
from books.models import Book

from .conftest import PASSWORD

ADD_URL = "/admin/accounts/user/add/"


@pytest.fixture
def staff(db: None) -> Client:
    User.objects.create_superuser("boss", "boss@example.com", PASSWORD)
    client = Client()
    client.login(username="boss", password=PASSWORD)
    return client


def test_delete_button_soft_deletes(staff: Client, alice: User) -> None:
    token_service.issue_for_login(alice)
    Book.objects.create(title="Kept", author="A", year=2000, created_by=alice)
    url = f"/admin/accounts/user/{alice.pk}/delete/"
    page = staff.get(url)
    assert page.status_code == 200 and b"soft delete" in page.content
    assert staff.post(url, {"post": "yes"}).status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active and alice.deleted_at is not None  # the row stays
    assert Book.objects.filter(created_by=alice).exists()  # and its books
    assert TokenFamily.objects.get(user=alice).revoked_reason == RevokedReason.DELETED


def test_bulk_delete_then_restore(staff: Client, alice: User, bob: User) -> None:
    ids = [str(alice.pk), str(bob.pk)]
    response = staff.post("/admin/accounts/user/",
                          {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert response.status_code == 302
    assert User.objects.filter(pk__in=ids, deleted_at__isnull=False).count() == 2
    response = staff.post("/admin/accounts/user/",
                          {"action": "restore_selected", "_selected_action": ids})
    assert response.status_code == 302
    assert User.objects.filter(pk__in=ids, is_active=True, deleted_at=None).count() == 2


def test_revoke_all_tokens_action(staff: Client, alice: User) -> None:
    token_service.issue_for_login(alice)
    token_service.issue_for_login(alice)
    response = staff.post("/admin/accounts/user/",
                          {"action": "revoke_tokens", "_selected_action": [str(alice.pk)]})
    assert response.status_code == 302
    reasons = set(TokenFamily.objects.filter(user=alice).values_list("revoked_reason", flat=True))
    assert reasons == {RevokedReason.ADMIN}


def test_add_user_with_an_email_differing_in_case_is_a_form_error(
    staff: Client, alice: User
) -> None:
    form = {"username": "alice2", "email": "ALICE@example.com", "role": "user",
            "password1": "Velvet-Harbor-9-Compass", "password2": "Velvet-Harbor-9-Compass",
            "usable_password": "true"}
    response = staff.post(ADD_URL, form)
    assert response.status_code == 200  # the form again, not a 500
    assert b"A user with that email already exists." in response.content
    response = staff.post(ADD_URL, {**form, "username": "ALICE", "email": "new@example.com"})
    assert b"A user with that username already exists." in response.content
    assert staff.post(ADD_URL, {**form, "email": "new@example.com"}).status_code == 302


def test_change_user_email_to_another_users_in_other_case(
    staff: Client, alice: User, bob: User
) -> None:
    url = f"/admin/accounts/user/{bob.pk}/change/"
    form = {"username": "bob", "email": "Alice@Example.com", "role": "user", "is_active": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    response = staff.post(url, form)
    assert response.status_code == 200
    assert b"A user with that email already exists." in response.content


def test_family_admin_is_read_only_with_state_first(staff: Client, alice: User) -> None:
    token_service.issue_for_login(alice)
    family = TokenFamily.objects.get(user=alice)
    listing = staff.get("/admin/accounts/tokenfamily/").content.decode()
    headers = listing.split("<thead>")[1].split("</thead>")[0]
    assert headers.index("column-state") < headers.index("column-user")
    page = staff.get(f"/admin/accounts/tokenfamily/{family.pk}/change/").content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert "deletelink" not in page
    # Filters and search: user, state, created.
    for query in (f"?user__id__exact={alice.pk}", "?state=active", "?q=alice",
                  f"?created_at__year={family.created_at.year}", f"?q={family.pk}"):
        response = staff.get(f"/admin/accounts/tokenfamily/{query}")
        assert response.status_code == 200 and "alice" in response.content.decode(), query
    # Revoking stays available.
    response = staff.post("/admin/accounts/tokenfamily/",
                          {"action": "revoke_selected", "_selected_action": [str(family.pk)]})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.state() == "revoked"


# --- createsuperuser ---------------------------------------------------------------------


def _createsuperuser(**options: str) -> str:
    out = StringIO()
    call_command("createsuperuser", interactive=False, stdout=out, stderr=out, **options)
    return out.getvalue()


def test_createsuperuser_refuses_an_email_differing_in_case(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    with pytest.raises(CommandError, match="email already exists"):
        _createsuperuser(username="root2", email="ALICE@EXAMPLE.COM")
    with pytest.raises(CommandError, match="already taken"):
        _createsuperuser(username="ALICE", email="other@example.com")
    assert "created" in _createsuperuser(username="root2", email="root2@example.com")
    assert User.objects.get(username="root2").role == "admin"


def test_createsuperuser_interactive_asks_again(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["root3", "Alice@example.com", "root3@example.com"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)

    class Tty(StringIO):
        def isatty(self) -> bool:
            return True

    err = StringIO()
    call_command("createsuperuser", interactive=True, stdin=Tty(), stdout=StringIO(), stderr=err)
    assert "A user with that email already exists." in err.getvalue()
    assert User.objects.get(username="root3").email == "root3@example.com"
