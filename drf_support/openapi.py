"""drf-spectacular's AutoSchema for this API, and the token endpoint's error shape.

Each view states its own documentation with drf-spectacular's
`extend_schema` (words, every answer, the query parameters); the request
and response shapes are its serializers. This module holds what every view
shares: `ContractAutoSchema` (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]), which
reads each operation's security from the view's own authentication and
permission classes, and RFC 6749's error body.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request

from drf_support.fields import PlainSerializer


class ContractAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, reading "public" from the view's permission classes.

    drf-spectacular lists one security alternative per authentication class
    and adds `{}` (no token needed) only for `AllowAny`. An operation here is
    public when every permission class of its view lets an anonymous caller
    through (`has_permission` with no user), as `BookPermission` does for a
    read: then the token is optional. A view without authentication classes
    reads no token at all (no security).
    """

    def get_auth(self) -> list[dict[str, Any]]:
        if not self.view.get_authenticators():
            return []  # no token is read: nothing to document (not even "optional")
        discovered: list[dict[str, Any]] = super().get_auth()
        if discovered and {} not in discovered and self._allows_anonymous():
            discovered.append({})
        return discovered

    def _allows_anonymous(self) -> bool:
        # A stand-in request: permission classes read its method and user only.
        anonymous = cast(Request, SimpleNamespace(method=self.method, user=None, auth=None))
        return all(permission.has_permission(anonymous, self.view)
                   for permission in self.view.get_permissions())


# RFC 6749 §5.2: the token endpoint's own error shape (documentation only).
@extend_schema_serializer(component_name="OAuthError", many=False)
class OAuthErrorSerializer(PlainSerializer):
    error = serializers.CharField(
        help_text="invalid_request, invalid_grant, unsupported_grant_type, locked_out, ...")
    error_description = serializers.CharField()
