"""Writes on users: register, update, soft delete, and the password check.

Every API (DRF, FastAPI, Flask) calls these and nothing else to change a
user, so the rules (who may change what, which tokens die when) hold the
same way everywhere. Arguments are keyword-only and already type-checked by
the caller's schema; values are checked here (see accounts.rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import rules
from accounts.identity import canonical
from accounts.models import RevokedReason, Role, User
from accounts.tokens import token_service
from common.errors import (
    MSG_REQUIRED,
    Conflict,
    FieldError,
    FieldInvalid,
    PermissionDenied,
    ValidationFailed,
)
from common.text import reject_nul

MSG_USERNAME_TAKEN = "A user with that username already exists."
MSG_EMAIL_TAKEN = "A user with that email already exists."
MSG_CURRENT_PASSWORD_WRONG = "The current password is incorrect."

# The fields a PATCH may carry, in the order their errors are reported.
UPDATE_FIELDS = ("email", "password", "current_password", "role", "is_active")
ADMIN_ONLY_FIELDS = ("role", "is_active")


def may_change_fields(*, actor: User, fields: Iterable[str]) -> bool:
    """Whether `actor` may send these PATCH fields: role and is_active are an admin's.

    Each API asks it before its rate limiter, with the keys of the body, so
    the 403 spends no budget; `user_update` holds to it as well.
    """
    return actor.is_admin or not any(field in ADMIN_ONLY_FIELDS for field in fields)


class _Errors:
    """Collects FieldInvalid per field, in call order, for one ValidationFailed."""

    def __init__(self) -> None:
        self.details: list[FieldError] = []

    def check(self, field: str, rule: Callable[[], Any]) -> Any:
        try:
            return rule()
        except FieldInvalid as exc:
            self.details.append(FieldError(field, exc.message))
            return None

    def add(self, field: str, message: str) -> None:
        self.details.append(FieldError(field, message))

    def raise_if_any(self) -> None:
        if self.details:
            raise ValidationFailed(self.details)


# "Taken" and the login lookup compare canonical forms (accounts.identity),
# never the database's UPPER/LOWER: one rule on every backend, the rule of
# the unique columns and of the lockout counters.


def _username_taken(username: str, *, exclude_id: int | None = None) -> bool:
    found = User.objects.filter(username_canonical=canonical(username))
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.exists()


def _email_taken(email: str, *, exclude_id: int | None = None) -> bool:
    found = User.objects.filter(email_canonical=canonical(email))
    if exclude_id is not None:
        found = found.exclude(pk=exclude_id)
    return found.exists()


def _conflict_from_integrity_error(username: str | None, email: str | None) -> Conflict:
    """After a lost race the DB constraint fired: say which value was taken.

    Both checks ran before the INSERT, so a second caller got there between
    our check and our write; look again to name the field.
    """
    if username is not None and _username_taken(username):
        return Conflict(MSG_USERNAME_TAKEN)
    if email is not None and _email_taken(email):
        return Conflict(MSG_EMAIL_TAKEN)
    return Conflict()


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a user with role "user".

    :raise ValidationFailed: details in the order username, email, password.
    :raise Conflict: the username or the email exists already (canonical form).
    """
    errors = _Errors()
    clean_username = errors.check("username", lambda: rules.clean_username(username))
    clean_email = errors.check("email", lambda: rules.clean_email(email))
    # An unsaved user lets the similarity validator compare the password
    # with the username and email.
    candidate = User(username=username, email=email)
    errors.check("password", lambda: rules.check_password(password, candidate))
    errors.raise_if_any()

    if _username_taken(clean_username):
        raise Conflict(MSG_USERNAME_TAKEN)
    if _email_taken(clean_email):
        raise Conflict(MSG_EMAIL_TAKEN)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                username=clean_username, email=clean_email, password=password, role=Role.USER
            )
    except IntegrityError:
        raise _conflict_from_integrity_error(clean_username, clean_email) from None


def _current_password_matches(user: User, password: str, *, client_ip: str | None) -> bool:
    """The password check behind the login guard: counted first, recorded after."""
    from throttling import lockout  # looked up at call time, as accounts.oauth does

    return bool(
        lockout.login_guard.attempt(user.username, client_ip, lambda: user.check_password(password))
    )


def user_update(
    *, actor: User, target: User, changes: Mapping[str, Any], client_ip: str | None = None
) -> User:
    """Apply a PATCH: self may change email and password, an admin also role and is_active.

    Changing one's own password needs `current_password`; an admin setting
    someone else's password does not (they cannot know it). A password change
    revokes every login of the target, the caller's own included; so does
    deactivation. Reactivating a soft-deleted user restores it.

    `current_password` is a password check like a login, so it goes through
    the same brute-force guard, with the same counters (the target's username
    and `client_ip`): a stolen access token must not become a free oracle for
    the password behind it. Every API passes `client_ip`; a caller without
    one (a script, a test) is counted per username only.

    :raise PermissionDenied: not self and not admin, or a non-admin sent role/is_active.
    :raise ValidationFailed: details in the order of UPDATE_FIELDS.
    :raise Conflict: the new email belongs to someone else.
    :raise LockedOut: too many wrong passwords for this user or from this IP (429).
    :raise RateLimited: too many password checks in flight (429, Retry-After 1).
    :raise ServiceUnavailable: the guard's cache is down (503).
    """
    is_self = actor.pk == target.pk
    if not (is_self or actor.is_admin):
        raise PermissionDenied()
    if not may_change_fields(actor=actor, fields=changes):
        raise PermissionDenied()

    errors = _Errors()
    new_email = None
    if "email" in changes:
        new_email = errors.check("email", lambda: rules.clean_email(changes["email"]))
    if "password" in changes:
        errors.check("password", lambda: rules.check_password(changes["password"], target))
        if is_self:
            current = changes.get("current_password")
            if current is None or current == "":
                errors.add("current_password", MSG_REQUIRED)
            elif "\x00" in current:
                # Refused like any text field, before the guard counts a failure.
                errors.check("current_password", lambda: reject_nul(current))
            elif not _current_password_matches(target, current, client_ip=client_ip):
                errors.add("current_password", MSG_CURRENT_PASSWORD_WRONG)
    if "role" in changes:
        errors.check("role", lambda: rules.clean_role(changes["role"]))
    errors.raise_if_any()

    if new_email is not None and _email_taken(new_email, exclude_id=target.pk):
        raise Conflict(MSG_EMAIL_TAKEN)

    revoke_reason: str | None = None
    update_fields: list[str] = []
    if new_email is not None:
        target.email = new_email
        update_fields.append("email")
    if "password" in changes:
        # Saving it ends every login of the target (User.save sends
        # password_changed; the token service revokes).
        target.set_password(changes["password"])
        update_fields.append("password")
    if "role" in changes:
        target.role = changes["role"]
        update_fields.append("role")
    if "is_active" in changes:
        target.is_active = bool(changes["is_active"])
        update_fields.append("is_active")
        if target.is_active:
            target.deleted_at = None
            update_fields.append("deleted_at")
        else:
            revoke_reason = RevokedReason.DEACTIVATED
    if not update_fields:
        return target

    try:
        with transaction.atomic():
            target.save(update_fields=update_fields)
            if revoke_reason is not None:
                token_service.revoke_all_for_user(target, revoke_reason)
    except IntegrityError:
        raise _conflict_from_integrity_error(None, new_email) from None
    return target


def user_soft_delete(*, actor: User, target: User) -> None:
    """Deactivate and stamp `deleted_at`; the row (and its books) stay.

    :raise PermissionDenied: not self and not admin.
    """
    if not (actor.pk == target.pk or actor.is_admin):
        raise PermissionDenied()
    user_mark_deleted(target=target)


@transaction.atomic
def user_mark_deleted(*, target: User) -> None:
    """The soft delete itself, for callers that already checked who may (the API, the admin).

    Deactivates, stamps `deleted_at` (kept if already set) and revokes every login.
    """
    target.is_active = False
    if target.deleted_at is None:
        target.deleted_at = timezone.now()
    target.save(update_fields=["is_active", "deleted_at"])
    token_service.revoke_all_for_user(target, RevokedReason.DELETED)


def user_restore(*, target: User) -> None:
    """Undo a soft delete: active again, no `deleted_at`. Revoked logins stay revoked."""
    target.is_active = True
    target.deleted_at = None
    target.save(update_fields=["is_active", "deleted_at"])


def email_taken(email: str, *, exclude_id: int | None = None) -> bool:
    """Whether another user has this address in canonical form (the DB's rule too)."""
    return _email_taken(email, exclude_id=exclude_id)


def username_taken(username: str, *, exclude_id: int | None = None) -> bool:
    """Whether another user has this username in canonical form (the DB's rule too)."""
    return _username_taken(username, exclude_id=exclude_id)


def user_record_login(user: User) -> None:
    """Stamp `last_login`, as Django's own `login()` does, for every API's password grant.

    The admin shows it; and Django's reset tokens hash it, so a reset link
    mailed before this login stops working (the user remembered after all).
    An UPDATE of one column: no save() side effects, no race with a
    concurrent change of another field.
    """
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login=now)
    user.last_login = now


def authenticate_password(username: str, password: str) -> User | None:
    """The user for these credentials, or None; never says which part was wrong.

    The username matches by canonical form (NFKC + casefold, computed in
    Python: `ÉLODIE` is `élodie`, `ıvy` is not `ivy`). An unknown username still runs
    the password hasher once (as Django's ModelBackend does), so "no such
    user" and "wrong password" take about the same time. Inactive and
    soft-deleted users get None *after* the hash check, for the same reason.
    A correct password stored with an outdated hasher is re-hashed on the way
    (Django's check_password does that).
    """
    user = User.objects.filter(username_canonical=canonical(username)).first()
    if user is None:
        User().set_password(password)
        return None
    if not user.check_password(password):
        return None
    if not user.can_authenticate:
        return None
    return user
