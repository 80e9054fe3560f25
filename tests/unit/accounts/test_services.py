"""accounts.services and accounts.selectors: who may change and see what."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError

from accounts import services
from accounts.models import Role, User
from accounts.selectors import user_get_for, user_page
from accounts.services import (
    authenticate_password,
    user_register,
    user_soft_delete,
    user_update,
)
from common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .conftest import NEW_PASSWORD, PASSWORD


def fields(exc: ValidationFailed) -> list[str]:
    return [detail.field for detail in exc.details]


# --- register -----------------------------------------------------------------------------


def test_register_creates_a_plain_user(db: None) -> None:
    user = user_register(username="carol", email="carol@Example.com", password=PASSWORD)
    assert user.role == Role.USER and user.is_active and user.deleted_at is None
    assert user.email == "carol@example.com"
    assert user.check_password(PASSWORD)


def test_register_reports_every_bad_field_in_order(db: None) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        user_register(username="a b", email="nope", password="123")
    assert fields(excinfo.value) == ["username", "email", "password"]


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("ALICE", "new@example.com", services.MSG_USERNAME_TAKEN),
        ("carol", "ALICE@example.com", services.MSG_EMAIL_TAKEN),
    ],
)
def test_register_duplicates_are_conflicts_in_any_case(
    alice: User, username: str, email: str, message: str
) -> None:
    with pytest.raises(Conflict) as excinfo:
        user_register(username=username, email=email, password=PASSWORD)
    assert excinfo.value.message == message


def test_register_lost_race_is_a_conflict(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-check passed but the constraint fired: still a 409 naming the field."""
    User.objects.create_user(username="carol", email="carol@example.com", password=PASSWORD)
    monkeypatch.setattr(services, "_username_taken", lambda *a, **k: False)
    with pytest.raises(Conflict):
        user_register(username="Carol", email="other@example.com", password=PASSWORD)


def test_case_insensitive_uniqueness_is_a_database_constraint(alice: User) -> None:
    with pytest.raises(IntegrityError):
        User.objects.create(username="Alice", email="x@example.com")


def test_create_superuser_is_an_api_admin(db: None) -> None:
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    assert root.role == Role.ADMIN and root.is_admin and root.is_staff


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2id(settings: Any) -> None:
    """The one test on the real hasher (conftest swaps in MD5 for speed)."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = user_register(username="carol", email="carol@example.com", password=PASSWORD)
    stored = User.objects.values_list("password", flat=True).get(pk=user.pk)
    assert stored.startswith("argon2$argon2id$")
    assert authenticate_password("carol", PASSWORD) == user


# --- authenticate_password ------------------------------------------------------------------


def test_authenticate_password_matches_username_case_insensitively(alice: User) -> None:
    assert authenticate_password("ALICE", PASSWORD) == alice


def test_authenticate_password_refuses_wrong_password_and_unknown_user(alice: User) -> None:
    assert authenticate_password("alice", "Wrong-Password-1") is None
    assert authenticate_password("nobody", PASSWORD) is None


def test_unknown_user_still_runs_the_hasher(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = User.set_password

    def spy(self: User, raw: str | None) -> None:
        calls.append(raw or "")
        original(self, raw)

    monkeypatch.setattr(User, "set_password", spy)
    assert authenticate_password("nobody", "guess") is None
    assert calls == ["guess"]


def test_inactive_and_deleted_users_cannot_authenticate(
    make_user: Callable[..., User], alice: User
) -> None:
    make_user("dormant", is_active=False)
    assert authenticate_password("dormant", PASSWORD) is None
    user_soft_delete(actor=alice, target=alice)
    assert authenticate_password("alice", PASSWORD) is None


# --- update -----------------------------------------------------------------------------------


def test_self_changes_email(alice: User) -> None:
    user_update(actor=alice, target=alice, changes={"email": "new@example.com"})
    assert User.objects.get(pk=alice.pk).email == "new@example.com"


def test_email_taken_by_someone_else_is_a_conflict(alice: User, bob: User) -> None:
    with pytest.raises(Conflict):
        user_update(actor=alice, target=alice, changes={"email": "BOB@example.com"})
    # One's own address, in another case, is no conflict.
    user_update(actor=alice, target=alice, changes={"email": "ALICE@example.com"})


@pytest.mark.parametrize("field", ["role", "is_active"])
def test_non_admin_may_not_touch_admin_fields(alice: User, field: str) -> None:
    value = "admin" if field == "role" else False
    with pytest.raises(PermissionDenied):
        user_update(actor=alice, target=alice, changes={field: value})


def test_non_admin_may_not_update_someone_else(alice: User, bob: User) -> None:
    with pytest.raises(PermissionDenied):
        user_update(actor=alice, target=bob, changes={"email": "x@example.com"})


@pytest.mark.parametrize(
    ("current", "message"),
    [(None, services.MSG_REQUIRED), ("", services.MSG_REQUIRED),
     ("Not-It-1", services.MSG_CURRENT_PASSWORD_WRONG)],
)
def test_own_password_change_needs_the_current_password(
    alice: User, current: str | None, message: str
) -> None:
    changes: dict[str, Any] = {"password": NEW_PASSWORD}
    if current is not None:
        changes["current_password"] = current
    with pytest.raises(ValidationFailed) as excinfo:
        user_update(actor=alice, target=alice, changes=changes)
    assert [(d.field, d.message) for d in excinfo.value.details] == [("current_password", message)]


def test_update_reports_fields_in_a_fixed_order(alice: User, admin_user: User) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        user_update(
            actor=admin_user, target=admin_user,
            changes={"role": "god", "password": "123", "email": "nope"},
        )
    assert fields(excinfo.value) == ["email", "password", "current_password", "role"]


def test_admin_sets_anothers_password_without_theirs(alice: User, admin_user: User) -> None:
    user_update(actor=admin_user, target=alice, changes={"password": NEW_PASSWORD})
    assert authenticate_password("alice", NEW_PASSWORD) == alice


def test_admin_promotes_and_reactivation_restores(alice: User, admin_user: User) -> None:
    user_update(actor=admin_user, target=alice, changes={"role": "admin"})
    assert User.objects.get(pk=alice.pk).role == Role.ADMIN
    user_soft_delete(actor=admin_user, target=alice)
    user_update(actor=admin_user, target=alice, changes={"is_active": True})
    restored = User.objects.get(pk=alice.pk)
    assert restored.is_active and restored.deleted_at is None


def test_empty_update_changes_nothing(alice: User) -> None:
    assert user_update(actor=alice, target=alice, changes={}) == alice


# --- soft delete -------------------------------------------------------------------------------


def test_soft_delete_keeps_the_row(alice: User) -> None:
    user_soft_delete(actor=alice, target=alice)
    row = User.objects.get(pk=alice.pk)
    assert not row.is_active and row.deleted_at is not None


def test_soft_delete_of_someone_else_needs_admin(alice: User, bob: User, admin_user: User) -> None:
    with pytest.raises(PermissionDenied):
        user_soft_delete(actor=alice, target=bob)
    user_soft_delete(actor=admin_user, target=bob)


# --- selectors ----------------------------------------------------------------------------------


def test_user_get_for_hides_existence_from_non_admins(alice: User, bob: User) -> None:
    assert user_get_for(actor=alice, user_id=alice.pk) == alice
    for other_id in (bob.pk, 999_999):
        with pytest.raises(PermissionDenied):
            user_get_for(actor=alice, user_id=other_id)


def test_user_get_for_admin(admin_user: User, bob: User) -> None:
    assert user_get_for(actor=admin_user, user_id=bob.pk) == bob
    for missing in (999_999, 2**70):
        with pytest.raises(NotFound):
            user_get_for(actor=admin_user, user_id=missing)


def test_user_list_filters(alice: User, bob: User, admin_user: User) -> None:
    User.objects.filter(pk=bob.pk).update(is_active=False)
    names = lambda params: [u.username for u in user_page(params=params).items]  # noqa: E731
    assert names({}) == ["alice", "bob", "root"]
    assert names({"search": "ALI"}) == ["alice"]
    assert names({"search": "bob@example"}) == ["bob"]
    assert names({"role": "admin"}) == ["root"]
    assert names({"is_active": "false"}) == ["bob"]
    assert names({"is_active": "true", "role": "user"}) == ["alice"]


def test_user_list_names_every_bad_parameter(db: None) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        user_page(params={"is_active": "yes", "role": "god"})
    assert fields(excinfo.value) == ["role", "is_active"]


def test_user_page_merges_filter_and_paging_errors(db: None) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        user_page(params={"page": "0", "role": "god", "page_size": "500"})
    assert fields(excinfo.value) == ["role", "page", "page_size"]


def test_user_page(alice: User, bob: User, admin_user: User) -> None:
    result = user_page(params={"page": "2", "page_size": "2"})
    assert [u.username for u in result.items] == ["root"]
    assert (result.total, result.pages) == (3, 2)
