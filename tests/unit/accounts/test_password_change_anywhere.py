"""A password changed by any path (not only the API) ends every earlier login."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from accounts.models import RevokedReason, TokenFamily, User
from accounts.tokens import token_service
from common.errors import InvalidToken


@pytest.fixture
def user(db) -> User:
    return User.objects.create_user(
        username="walter", email="walter@example.com", password="Old-Secret-4821"
    )


def test_set_password_and_save_revokes_earlier_tokens(user: User) -> None:
    # What `manage.py changepassword` and a shell session do.
    pair = token_service.issue_for_login(user)
    user.set_password("New-Secret-9034")
    user.save()

    family = TokenFamily.objects.get(user=user)
    assert family.revoked_reason == RevokedReason.PASSWORD_CHANGE
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)


def test_saving_other_fields_keeps_tokens(user: User) -> None:
    pair = token_service.issue_for_login(user)
    user.email = "walter.white@example.com"
    user.save()
    assert token_service.authenticate_access(pair.access_token).user == user


def test_a_hash_upgrade_at_login_is_not_a_password_change(user: User, settings) -> None:
    # Stored with an older hasher; check_password re-hashes with the first
    # hasher of PASSWORD_HASHERS and saves, without `set_password` semantics.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ]
    user.password = make_password("Old-Secret-4821", hasher="pbkdf2_sha1")
    user.save()
    pair = token_service.issue_for_login(user)
    assert user.check_password("Old-Secret-4821")
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # upgraded
    assert token_service.authenticate_access(pair.access_token).user == user


def test_the_models_do_not_import_the_token_service() -> None:
    # The dependency points one way: the token service imports the models;
    # the models reach it through the `password_changed` signal.
    import ast
    from pathlib import Path

    import accounts.models

    tree = ast.parse(Path(accounts.models.__file__).read_text())
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "accounts.tokens" not in imported


def test_a_new_password_saved_with_other_fields_only_is_not_yet_a_change(user: User) -> None:
    pair = token_service.issue_for_login(user)
    user.set_password("New-Secret-9034")
    user.email = "walter.white@example.com"
    user.save(update_fields=["email"])  # the new hash is not stored
    assert token_service.authenticate_access(pair.access_token).user == user
    user.save(update_fields=["password"])  # now it is
    with pytest.raises(InvalidToken):
        token_service.authenticate_access(pair.access_token)


def test_an_async_hash_upgrade_is_not_a_password_change(user: User, settings) -> None:
    # acheck_password's save runs back on this thread (async_to_sync, then
    # asave's thread-sensitive sync_to_async): the test's database connection.
    from asgiref.sync import async_to_sync

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ]
    user.password = make_password("Old-Secret-4821", hasher="pbkdf2_sha1")
    user.save()
    pair = token_service.issue_for_login(user)
    assert async_to_sync(user.acheck_password)("Old-Secret-4821")
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # upgraded
    assert token_service.authenticate_access(pair.access_token).user == user
