"""DRF serializers of accounts: what /api/drf/auth/* and /api/drf/users read and write.

Input serializers check presence and JSON types only; every rule (username
characters, password validators, who may change a role) lives in
accounts.services and accounts.rules, shared by all three frameworks.
The component names are the OpenAPI document's, the same at every prefix.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from drf_support.fields import StrictBooleanField, StrictCharField
from drf_support.schema import PageLinksSerializer, PageMetaSerializer


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
    username = StrictCharField()
    email = StrictCharField()
    password = StrictCharField()


@extend_schema_serializer(component_name="TokenResponse")
class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField()


@extend_schema_serializer(component_name="RefreshInput")
class RefreshInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField()


@extend_schema_serializer(component_name="LogoutInput")
class LogoutInputSerializer(serializers.Serializer):
    refresh_token = StrictCharField(required=False, allow_null=True)


@extend_schema_serializer(component_name="PasswordResetInput")
class PasswordResetInputSerializer(serializers.Serializer):
    email = StrictCharField()


@extend_schema_serializer(component_name="PasswordResetConfirmInput")
class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = StrictCharField()
    token = StrictCharField()
    new_password = StrictCharField()


@extend_schema_serializer(component_name="UserPatch")
class UserPatchSerializer(serializers.Serializer):
    email = StrictCharField(required=False)
    password = StrictCharField(required=False)
    current_password = StrictCharField(required=False)
    role = StrictCharField(required=False, help_text="user | admin (admins only)")
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
