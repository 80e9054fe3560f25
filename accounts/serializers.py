"""DRF serializers of accounts: what /api/drf/auth/* and /api/drf/users read and write.

Input serializers check presence and JSON types only; every rule (username
characters, password validators, who may change a role) lives in
accounts.services and accounts.rules, shared by all three frameworks.
The component names are the OpenAPI document's, the same at every prefix.
"""

from __future__ import annotations

from django.contrib.auth.password_validation import (
    MinimumLengthValidator,
    get_default_password_validators,
)
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from common.constraints import EMAIL_MAX, ROLES, USERNAME_MAX, USERNAME_MIN
from drf_support.fields import NO_NUL, StrictBooleanField, StrictCharField
from drf_support.schema import PageLinksSerializer, PageMetaSerializer


def _password_min_length() -> int:
    """MinimumLengthValidator's setting in AUTH_PASSWORD_VALIDATORS (8 by default)."""
    for validator in get_default_password_validators():
        if isinstance(validator, MinimumLengthValidator):
            return int(validator.min_length)
    return 1


# What the documents say of the values (the rules are accounts.rules' and Django's).
PASSWORD_MIN = _password_min_length()
USERNAME_RULE = (
    f"{USERNAME_MIN} to {USERNAME_MAX} characters: letters and digits of any "
    "script, and `@`, `.`, `+`, `-`, `_`."
)
STRENGTH = "Checked by Django's password validators (length, common, numeric, similarity)."


@extend_schema_serializer(component_name="User")
class UserOutputSerializer(serializers.Serializer):
    """The one representation of a user; the password hash is not a field here."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField()
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


@extend_schema_serializer(component_name="RegisterInput")
class RegisterInputSerializer(serializers.Serializer):
    # No `pattern` beyond NO_NUL for the username: Django accepts letters and
    # digits of every script, and `\w` means ASCII to ECMA-262's regexes.
    username = StrictCharField(
        openapi=dict(
            minLength=USERNAME_MIN,
            maxLength=USERNAME_MAX,
            pattern=NO_NUL,
            description=USERNAME_RULE,
        )
    )
    email = StrictCharField(openapi=dict(format="email", maxLength=EMAIL_MAX))
    password = StrictCharField(
        openapi=dict(
            minLength=PASSWORD_MIN, pattern=NO_NUL, description=STRENGTH, format="password"
        )
    )


@extend_schema_serializer(component_name="TokenResponse")
class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


@extend_schema_serializer(component_name="RefreshInput")
class RefreshInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField(openapi=dict(minLength=1, pattern=NO_NUL))


@extend_schema_serializer(component_name="LogoutInput")
class LogoutInputSerializer(serializers.Serializer):
    # Empty or null: only the access token sent is revoked.
    refresh_token = StrictCharField(required=False, allow_null=True, openapi=dict(pattern=NO_NUL))


@extend_schema_serializer(component_name="PasswordResetInput")
class PasswordResetInputSerializer(serializers.Serializer):
    email = StrictCharField(openapi=dict(format="email", maxLength=EMAIL_MAX))


@extend_schema_serializer(component_name="PasswordResetConfirmInput")
class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = StrictCharField(openapi=dict(minLength=1, pattern=NO_NUL))
    token = StrictCharField(openapi=dict(minLength=1, pattern=NO_NUL))
    new_password = StrictCharField(
        openapi=dict(
            minLength=PASSWORD_MIN, pattern=NO_NUL, description=STRENGTH, format="password"
        )
    )


@extend_schema_serializer(component_name="UserPatch")
class UserPatchSerializer(serializers.Serializer):
    email = StrictCharField(required=False, openapi=dict(format="email", maxLength=EMAIL_MAX))
    password = StrictCharField(
        required=False,
        openapi=dict(
            minLength=PASSWORD_MIN,
            pattern=NO_NUL,
            format="password",
            description=f"{STRENGTH} Changing your own needs `current_password`.",
        ),
    )
    current_password = StrictCharField(
        required=False,
        openapi=dict(
            minLength=1,
            pattern=NO_NUL,
            format="password",
            description="Your current password: required with `password` on your own account.",
        ),
    )
    role = StrictCharField(
        required=False, help_text="user | admin (admins only)", openapi=dict(enum=list(ROLES))
    )
    is_active = StrictBooleanField(required=False, help_text="Admins only.")


# --- response shapes, for the OpenAPI document only ----------------------------------


@extend_schema_serializer(component_name="UserEnvelope", many=False)
class UserEnvelopeSerializer(serializers.Serializer):
    # A declared field named `data` documents the body's key; it does not
    # replace `Serializer.data` at run time; the stubs cannot know that.
    data = UserOutputSerializer()  # type: ignore[assignment]


@extend_schema_serializer(component_name="UserPage", many=False)
class UserPageSerializer(serializers.Serializer):
    data = UserOutputSerializer(many=True)  # type: ignore[assignment]  # as above
    meta = PageMetaSerializer()
    links = PageLinksSerializer()
