"""The DRF face of accounts: /auth/* and /users under /api/drf.

A learner's guide to every DRF file, and the path of a login through this
one: docs/drf.md.

Each view does three things: parse (an input serializer of
accounts.serializers, which checks presence and JSON types only), call a
service, selector or the token endpoint logic (which own every rule),
serialize (UserOutputSerializer). Errors are raised, never built here:
`drf_support.exceptions.exception_handler` turns them into the envelope, or into RFC
6749's shape for `OAuthError`.

Check order on /users/{id}: authentication (401), the target user is
visible (403/404) and the fields are the caller's to change (403), all
before the throttles, then body types (422), values (422), uniqueness
(409). A 401 or 403 spends no budget (the contract).

The OpenAPI decorations live at the bottom of the module.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, cast

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import oauth, password_reset
from accounts.authentication import BearerTokenAuthentication
from accounts.filters import UserFilterSet
from accounts.models import User
from accounts.permissions import IsAdminRole, MayChangeTheseFields, signed_in_user
from accounts.selectors import user_get_for
from accounts.serializers import (
    LogoutInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenResponseSerializer,
    UserEnvelopeSerializer,
    UserOutputSerializer,
    UserPageSerializer,
    UserPatchSerializer,
)
from accounts.services import user_register, user_soft_delete, user_update
from common.constraints import (
    BOOLEAN_QUERY_VALUES,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PAGE_MIN,
    PAGE_ROWS_MAX,
    ROLES,
    SEARCH_MAX,
    USER_LIST_INTEGERS,
    USER_LIST_PARAMS,
)
from common.errors import NO_STORE, ApplicationError, OAuthError
from common.mail import outbox
from common.media_types import FORM_MEDIA_TYPE, JSON_MEDIA_TYPE
from drf_support.filtering import CheckedListQuery
from drf_support.openapi import OAuthErrorSerializer
from drf_support.pagination import PageNumberEnvelopePagination
from drf_support.schema import errors
from drf_support.views import ApiView, MethodFirstMixin
from throttling.throttles import StrictDefaultRateThrottle, request_client_ip


def _user_response(user: User, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response({"data": UserOutputSerializer(user).data}, status=status_code)


# --- /auth ------------------------------------------------------------------------------


class RegisterApi(ApiView):
    authentication_classes: list = []  # a stray Authorization header must not 401 a sign-up

    InputSerializer = RegisterInputSerializer
    OutputSerializer = UserOutputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = user_register(**serializer.validated_data)
        return _user_response(user, status_code=status.HTTP_201_CREATED)


class TokenApi(ApiView):
    """The OAuth2 token endpoint: form in, RFC 6749 body (or RFC 6749 error) out."""

    authentication_classes: list = []
    parser_classes = [FormParser]
    # RFC 6749's JSON whatever `Accept` says: no browsable page, even for a browser.
    renderer_classes = [JSONRenderer]
    # Login must stay protected when the cache is down: 503, not fail-open.
    throttle_classes = [StrictDefaultRateThrottle]

    OutputSerializer = TokenResponseSerializer

    def post(self, request: Request) -> Response:
        try:
            data = request.data  # FormParser: a QueryDict, or {} for an empty body
        except (exceptions.UnsupportedMediaType, exceptions.ParseError):
            raise OAuthError("invalid_request", oauth.MSG_FORM_ENCODED) from None
        if not isinstance(data, Mapping):  # a form body always parses to a mapping
            raise OAuthError("invalid_request", oauth.MSG_FORM_ENCODED)
        form = oauth.form_values(data)
        body = oauth.token_grant(form=form, client_ip=request_client_ip(request))
        return Response(body, headers=NO_STORE)

    def handle_exception(self, exc: Exception) -> Response:
        # Whatever goes wrong here (the rate limiter's 429, a cache outage's
        # 503 raised by the throttle before `post` runs), the token endpoint
        # keeps RFC 6749's error shape.
        if isinstance(exc, ApplicationError):
            exc = OAuthError.from_application_error(exc)
        return super().handle_exception(exc)


class RefreshApi(ApiView):
    """JSON twin of the refresh grant; errors in the normal envelope (400 invalid_grant)."""

    authentication_classes: list = []
    throttle_classes = [StrictDefaultRateThrottle]

    InputSerializer = RefreshInputSerializer
    OutputSerializer = TokenResponseSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = oauth.refresh_grant(serializer.validated_data["refresh_token"])
        return Response(body, headers=NO_STORE)


class LogoutApi(ApiView):
    # Revokes the access token itself: a Bearer token only (a browsable API
    # session has no token to revoke; it logs out at /session/logout).
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]
    InputSerializer = LogoutInputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        oauth.logout(
            # BearerTokenAuthentication leaves the verified claims in request.auth.
            claims=cast(dict[str, Any], request.auth),
            refresh_token=serializer.validated_data.get("refresh_token"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(ApiView):
    permission_classes = [IsAuthenticated]
    OutputSerializer = UserOutputSerializer

    def get(self, request: Request) -> Response:
        return _user_response(signed_in_user(request))


class PasswordResetApi(ApiView):
    """202 at once; the email (if the address belongs to anyone) goes out after.

    The lookup and the sending run on the process's mail outbox
    (`common.mail`), as at the other prefixes: the answer takes the same
    time whether or not the address exists, and a slow mail server holds no
    request thread and no database connection.
    """

    authentication_classes: list = []
    # Counted per IP here, then per IP and per address by the domain; 503
    # without the cache (an unmetered endpoint that sends mail is a spam cannon).
    throttle_classes = [StrictDefaultRateThrottle]

    InputSerializer = PasswordResetInputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        email = password_reset.password_reset_accept(
            email=serializer.validated_data["email"], client_ip=request_client_ip(request)
        )
        site_url = password_reset.link_origin(
            scheme=request.scheme or "http", host=request.get_host(),
            server_port=request.META.get("SERVER_PORT"),
        )
        outbox.send_later(password_reset.password_reset_email, email=email, site_url=site_url)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(ApiView):
    authentication_classes: list = []
    throttle_classes = [StrictDefaultRateThrottle]

    InputSerializer = PasswordResetConfirmInputSerializer

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_reset.password_reset_confirm(**serializer.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- /users -------------------------------------------------------------------------------


class UserListApi(CheckedListQuery, MethodFirstMixin, generics.GenericAPIView):
    """GET /users: DRF's list machinery (django-filter's UserFilterSet, numbered envelope pages)."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    # Soft-deleted users are listed too (is_active false): an admin may want
    # to find and restore them.
    queryset = User.objects.order_by("id")
    serializer_class = UserOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = UserFilterSet
    pagination_class = PageNumberEnvelopePagination
    list_query_names = USER_LIST_PARAMS
    list_query_integers = USER_LIST_INTEGERS

    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(UserOutputSerializer(page, many=True).data)


class UserDetailApi(ApiView):
    permission_classes = [IsAuthenticated, MayChangeTheseFields]
    OutputSerializer = UserOutputSerializer

    InputSerializer = UserPatchSerializer
    # The browsable API asks `get_object()` which forms to show: none on a
    # user the visitor may not see (accounts.selectors.user_get_for's 403/404).
    lookup_field = "id"

    def get_object(self) -> User:
        """The user of the URL, if the caller may see it: self, or anyone for an admin."""
        return self.user_of_the_url

    @cached_property
    def user_of_the_url(self) -> User:
        # Read once per request: `check_permissions` and the method both ask.
        return user_get_for(actor=signed_in_user(self.request), user_id=self.kwargs["id"])

    def check_permissions(self, request: Request) -> None:
        """DRF's check, plus who may see this user, so a 403 comes before the throttles.

        DRF runs `initial()` as authenticate, `check_permissions`, then
        `check_throttles`; a check left to the method would come after the
        budget was spent (as in BookViewSet.check_permissions).
        """
        super().check_permissions(request)
        self.get_object()

    def get(self, request: Request, id: int) -> Response:
        return _user_response(self.get_object())

    def patch(self, request: Request, id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = self.get_object()
        user = user_update(
            actor=signed_in_user(request),
            target=target,
            changes=serializer.validated_data,
            client_ip=request_client_ip(request),
        )
        return _user_response(user)

    def delete(self, request: Request, id: int) -> Response:
        target = self.get_object()
        user_soft_delete(actor=signed_in_user(request), target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- OpenAPI documentation ------------------------------------------------------------------
# drf-spectacular reads the serializers; the words and every answer are stated
# here, apart from the behaviour, on each view's method.

USER_NOT_FOUND = "No user with that id (`not_found`)."
USER_TAKEN = "Another user has that username or email (`conflict`)."
RESET_400 = ("The body is not a JSON object (`bad_request`), or the reset token is invalid, "
             "expired or already used (`invalid_token`).")
RESET_503 = "The cache is down: reset requests cannot be counted (`service_unavailable`)."
_NO_NUL = r"^[^\x00]*$"


def _query(name: str, schema: dict[str, Any], description: str) -> OpenApiParameter:
    return OpenApiParameter(name, schema, OpenApiParameter.QUERY, required=False,
                            description=description)


# RFC 6749's token request, form-encoded (the password and refresh_token grants).
TOKEN_FORM = {
    "type": "object",
    "properties": {
        "grant_type": {"type": "string", "enum": ["password", "refresh_token"],
                       "default": "password"},
        "username": {"type": "string", "minLength": 1, "description": "For grant_type=password."},
        "password": {"type": "string", "minLength": 1, "format": "password",
                     "description": "For grant_type=password."},
        "refresh_token": {"type": "string", "minLength": 1,
                          "description": "For grant_type=refresh_token."},
    },
}


# /users/{id}: ids start at 1.
_USER_ID = OpenApiParameter("id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)


def _oauth(description: str) -> OpenApiResponse:
    return OpenApiResponse(OAuthErrorSerializer, description=description)


def _document() -> None:
    """Attach each view method's `extend_schema`."""
    extend_schema(
        operation_id="register", tags=["auth"], summary="Create an account",
        description="Creates a user with the role `user`. The username is 3 to 150 letters, "
                    "digits (any script) or `@ . + - _`; the password must pass the server's "
                    "password rules (length, not too common, not all digits, not too close to "
                    "the username or email).",
        request={JSON_MEDIA_TYPE: RegisterApi.InputSerializer},
        responses={201: OpenApiResponse(UserEnvelopeSerializer, "Created: the new user."),
                   **errors(400, 409, 413, 422, 429, 503, words={409: USER_TAKEN})},
    )(RegisterApi.post)
    extend_schema(
        operation_id="token", tags=["auth"],
        summary="Log in: the OAuth2 token endpoint (password and refresh_token grants)",
        description="Form-encoded, as RFC 6749 says. `grant_type` may be omitted: it means "
                    "`password`. Errors use RFC 6749's shape `{error, error_description}`. After "
                    "too many failed logins the username (or your address) is locked out for a "
                    "while: 429 `locked_out`.",
        request={FORM_MEDIA_TYPE: TOKEN_FORM},
        responses={
            200: OpenApiResponse(TokenApi.OutputSerializer,
                                 "A new access token and refresh token."),
            400: _oauth("`invalid_request`, `invalid_grant` or `unsupported_grant_type` "
                        "(RFC 6749 §5.2)."),
            **errors(413),
            429: _oauth("`locked_out` (too many failed logins) or `rate_limited`, see "
                        "`Retry-After`."),
            503: _oauth("`service_unavailable`: the lockout store (cache) is down."),
        },
    )(TokenApi.post)
    extend_schema(
        operation_id="refresh", tags=["auth"], summary="Exchange a refresh token for new tokens",
        description="The JSON twin of the token endpoint's refresh_token grant. The refresh "
                    "token sent is used up: a second use is refused and ends that login "
                    "everywhere.",
        request={JSON_MEDIA_TYPE: RefreshApi.InputSerializer},
        responses={200: OpenApiResponse(TokenApi.OutputSerializer,
                                        "A new access token and refresh token."),
                   **errors(400, 413, 422, 429, 503)},
    )(RefreshApi.post)
    extend_schema(
        operation_id="logout", tags=["auth"], summary="Log out",
        description="Revokes the access token sent and, when given, the refresh token's login.",
        request={JSON_MEDIA_TYPE: LogoutApi.InputSerializer},
        responses={204: OpenApiResponse(None, "Logged out."),
                   **errors(400, 401, 413, 422, 429, 503)},
    )(LogoutApi.post)
    extend_schema(
        operation_id="me", tags=["auth"], summary="Your own account",
        description="The user the access token belongs to.",
        responses={200: OpenApiResponse(UserEnvelopeSerializer, "You."),
                   **errors(401, 429, 503)},
    )(MeApi.get)
    extend_schema(
        operation_id="password_reset_request", tags=["auth"],
        summary="Ask for a password reset email",
        description="Answers 202 whether or not the address belongs to an account; when it "
                    "does, an email with a one-time link goes out.",
        request={JSON_MEDIA_TYPE: PasswordResetApi.InputSerializer},
        responses={202: OpenApiResponse(None, "Accepted: an email goes out if the address "
                                              "belongs to an account."),
                   **errors(400, 413, 422, 429, 503, words={400: RESET_400, 503: RESET_503})},
    )(PasswordResetApi.post)
    extend_schema(
        operation_id="password_reset_confirm", tags=["auth"],
        summary="Set a new password with the link from the reset email",
        description="`uid` and `token` come from the emailed link. Every earlier token of the "
                    "account stops working.",
        request={JSON_MEDIA_TYPE: PasswordResetConfirmApi.InputSerializer},
        responses={204: OpenApiResponse(None, "Password changed."),
                   **errors(400, 413, 422, 429, 503, words={400: RESET_400, 503: RESET_503})},
    )(PasswordResetConfirmApi.post)
    extend_schema(
        operation_id="list_users", tags=["users"], summary="List users (admins only)",
        description="Paginated; filter with `search`, `role` and `is_active`.",
        parameters=[
            _query("search", {"type": "string", "maxLength": SEARCH_MAX, "pattern": _NO_NUL},
                   "Username or email contains (any case)."),
            _query("role", {"type": "string", "enum": list(ROLES)}, "Only users with this role."),
            _query("is_active", {"type": "string", "enum": list(BOOLEAN_QUERY_VALUES)},
                   "Only active (`true`) or inactive (`false`) users."),
            _query("page", {"type": "integer", "minimum": PAGE_MIN, "default": 1},
                   f"Page number, from {PAGE_MIN}. Numbered pages reach the first "
                   f"{PAGE_ROWS_MAX} rows (page * page_size <= {PAGE_ROWS_MAX}); a deeper "
                   "page is a 422: narrow the list with its filters."),
            _query("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE,
                                 "default": DEFAULT_PAGE_SIZE},
                   f"Items per page, 1..{MAX_PAGE_SIZE}."),
        ],
        filters=False,  # the parameters above, not discovered from the filter backend
        responses={200: OpenApiResponse(UserPageSerializer, "One page of users."),
                   **errors(401, 403, 422, 429, 503)},
    )(UserListApi.get)
    extend_schema(
        operation_id="get_user", tags=["users"],
        summary="Read a user (yourself, or anyone if you are an admin)",
        description="A non-admin asking for any other id gets 403, whether or not that id "
                    "exists.",
        parameters=[_USER_ID],
        responses={200: OpenApiResponse(UserEnvelopeSerializer, "The user."),
                   **errors(401, 403, 404, 429, 503, words={404: USER_NOT_FOUND})},
    )(UserDetailApi.get)
    extend_schema(
        operation_id="update_user", tags=["users"],
        summary="Change a user (yourself: email, password; admins: also role, is_active)",
        description="Changing your own password needs `current_password`. A new password ends "
                    "every earlier login of that user, yours included: log in again.",
        request={JSON_MEDIA_TYPE: UserDetailApi.InputSerializer},
        parameters=[_USER_ID],
        responses={200: OpenApiResponse(UserEnvelopeSerializer, "The changed user."),
                   **errors(400, 401, 403, 404, 409, 413, 422, 429, 503,
                            words={404: USER_NOT_FOUND, 409: USER_TAKEN})},
    )(UserDetailApi.patch)
    extend_schema(
        operation_id="delete_user", tags=["users"],
        summary="Delete a user (yourself, or anyone if you are an admin)",
        description="The account is deactivated and can no longer log in; its books stay.",
        parameters=[_USER_ID],
        responses={204: OpenApiResponse(None, "Deleted."),
                   **errors(401, 403, 404, 429, 503, words={404: USER_NOT_FOUND})},
    )(UserDetailApi.delete)


_document()
