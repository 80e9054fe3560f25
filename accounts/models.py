"""Users and login families.

`User` extends Django's AbstractUser with a role and a soft-delete stamp, so
the admin, `createsuperuser` and the password machinery keep working. Its
username and email are also stored in their canonical form
(`accounts.identity.canonical`: NFKC, then case-folded), filled by `save()`
and unique: that column, not the database's UPPER/LOWER, says whether two
spellings are one account, and it is what logins look up.

`TokenFamily` is one row per login (one password grant). Every refresh token
of that login carries the family id; the row remembers which refresh token is
the only one still allowed (`current_jti`). Revoking the row logs out every
token of the login at once, access tokens included (they carry the id too).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth import hashers
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.utils import timezone

from accounts.identity import (
    CANONICAL_MAX,
    canonical,
    validate_email_fits,
    validate_username_fits,
)
from accounts.signals import password_changed


class Role(models.TextChoices):
    USER = "user", "User"
    ADMIN = "admin", "Admin"


class AccountManager(UserManager["User"]):
    """Django's manager, except that a superuser is also an API admin."""

    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)

    def get_by_natural_key(self, username: str | None) -> User:
        """The user whose username has this canonical form.

        Django's ModelBackend (the admin's login, the browsable API's session
        login) and `createsuperuser`'s "is it taken?" check call this: with
        it, they match names exactly as the token endpoint does.
        """
        return self.get(username_canonical=canonical(username or ""))


class User(AbstractUser):
    # AbstractUser's field, plus a check that the stored (normalized) form
    # fits the column: the admin's forms and `createsuperuser` run the model
    # field's validators, so they refuse such a name as too long too.
    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only.",
        validators=[UnicodeUsernameValidator(), validate_username_fits],
        error_messages={"unique": "A user with that username already exists."},
    )
    # Required: the contract's user always has an email (AbstractUser allows "").
    email = models.EmailField("email address", validators=[validate_email_fits])
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER)
    # Soft delete: the row stays (books keep their creator, PROTECT), the user
    # can no longer log in, and the API treats them as gone.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # canonical(username) and canonical(email), set by save(), never by hand.
    # Unique: "Élodie" and "élodie" are one account on every backend, and a
    # race between two registrations cannot create both.
    username_canonical = models.CharField(max_length=CANONICAL_MAX, unique=True, editable=False)
    email_canonical = models.CharField(max_length=CANONICAL_MAX, unique=True, editable=False)

    objects: ClassVar[AccountManager] = AccountManager()

    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]

    # Set by AbstractBaseUser.set_password() (the raw password until the next
    # save, else None); django-stubs does not declare it. Read by save() below.
    _password: str | None

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The canonical columns follow their values on every save, whoever
        # saves (services, admin, createsuperuser, a shell); a partial save
        # of username/email writes its canonical column too.
        adding = self._state.adding
        self.username_canonical = canonical(self.username)
        self.email_canonical = canonical(self.email)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = {
                f"{name}_canonical" for name in ("username", "email") if name in update_fields
            }
            kwargs["update_fields"] = [*update_fields, *sorted(extra - set(update_fields))]
        # A password set by set_password() and now saved is a change,
        # whichever path made it: the API, a reset, the admin, `manage.py
        # changepassword`, a shell. Receivers of `password_changed` (the
        # token service, connected in AccountsConfig.ready) end every
        # earlier login. A new user has no earlier login.
        saves_password = update_fields is None or "password" in update_fields
        changed = self._password_change_pending and saves_password
        super().save(*args, **kwargs)
        if saves_password:
            self._password_change_pending = False
        if changed and not adding:
            password_changed.send(sender=type(self), user=self)

    # Set by set_password() and set_unusable_password(), cleared by the save()
    # that stores the new hash.
    _password_change_pending = False

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self._password_change_pending = True

    def set_unusable_password(self) -> None:
        # The admin's "disable password-based authentication": a change too.
        super().set_unusable_password()
        self._password_change_pending = True

    def check_password(self, raw_password: str | None) -> bool:
        """Django's check, except that a hash upgrade is not noted as a password change.

        The stored hash is re-made with the preferred hasher when it was made
        with an older one (the same password, a stronger hash): saved at
        once, and nobody's login ends.
        """
        return hashers.check_password(raw_password, self.password, self._upgrade_hash)

    async def acheck_password(self, raw_password: str | None) -> bool:
        """See check_password()."""
        return await hashers.acheck_password(raw_password, self.password, self._aupgrade_hash)

    def _upgrade_hash(self, raw_password: str) -> None:
        self.password = hashers.make_password(raw_password)
        self.save(update_fields=["password"])

    async def _aupgrade_hash(self, raw_password: str) -> None:
        self.password = hashers.make_password(raw_password)
        await self.asave(update_fields=["password"])

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_authenticate(self) -> bool:
        """Active and not soft-deleted: the one test every login path uses."""
        return self.is_active and self.deleted_at is None


class RevokedReason(models.TextChoices):
    LOGOUT = "logout", "Logout"
    REUSE = "reuse", "Refresh token reuse"
    PASSWORD_CHANGE = "password_change", "Password change"
    DEACTIVATED = "deactivated", "User deactivated"
    DELETED = "deleted", "User deleted"
    ADMIN = "admin", "Revoked by an admin"


class TokenFamily(models.Model):
    """One login: the chain of refresh tokens issued from one password grant."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    created_at = models.DateTimeField(default=timezone.now)
    # Absolute end of the login, however often it is refreshed.
    expires_at = models.DateTimeField()
    # The jti of the only refresh token of this family that may still be used.
    current_jti = models.UUIDField(default=uuid.uuid4)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    rotation_count = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(
        max_length=32, choices=RevokedReason.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = "login family"
        verbose_name_plural = "login families"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="accounts_family_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.id}"

    def state(self, now: datetime | None = None) -> str:
        """"active", "revoked" or "expired" (for the admin and for checks)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"
