"""The token service: login families, locked rotation, reuse detection, revocation.

The JWTs are djangorestframework-simplejwt's (accounts/jwt_tokens.py: its
Token classes and TokenBackend, configured by settings.SIMPLE_JWT). This
module adds what simplejwt lacks, measured (benchmarks/refresh_race.py): its
rotation + blacklist lets several concurrent refreshes of one token
succeed, has no reuse detection, and never checks access tokens against the
blacklist. So:

- Every password grant opens a *login family* (`TokenFamily` row). All tokens
  of that login, access and refresh, carry its id in the `fam` claim.
- The family row stores the jti of the one refresh token that may still be
  presented. Rotation locks the row (`SELECT ... FOR UPDATE`; SQLite's
  IMMEDIATE transactions serialise writers the same way), so of two
  concurrent rotations of one token exactly one wins.
- Presenting a refresh token that was already rotated is *reuse*: someone
  holds a copy. The whole family is revoked (and that revocation is
  committed) before the caller gets `invalid_grant`. A losing concurrent
  rotation is indistinguishable from reuse and is treated the same way.
- Access tokens are checked against their family on every request (one
  query), so logout, password change, deactivation, soft delete and reuse
  refuse them at once, at every prefix.

The public, framework-free API the three frameworks (and caches) build on:

    token_service.verify_access(token)        -> claims     (no database)
    token_service.authenticate_access(token)  -> AccessContext (claims + one query)
    token_service.issue_for_login(user) / rotate(refresh_token) -> TokenPair
    token_service.logout(...) / revoke_all_for_user(...) / revoke_families(...)

Time is the wall clock (`django.utils.timezone.now`, and simplejwt's and
PyJWT's own `datetime.now`); tests move it with time-machine.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError

from accounts import token_snapshots
from accounts.jwt_tokens import (
    FAMILY_CLAIM,
    LoginAccessToken,
    LoginRefreshToken,
    verified_access_tokens,
)
from accounts.models import RevokedReason, TokenFamily, User
from common.errors import ApplicationError, InvalidToken

MSG_INVALID_GRANT_REFRESH = "The refresh token is invalid, expired or revoked."

_BEARER = b"bearer"
# Header values travel as latin-1 (RFC 9110; DRF's HTTP_HEADER_ENCODING, and
# what ASGI and WSGI servers decode them with), so this encoding is lossless.
_HEADER_ENCODING = "latin-1"


def bearer_from_header(value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, parsed as DRF parses it.

    One parser for the three frameworks, so a malformed header gets the same
    answer at every prefix (DRF's BearerTokenAuthentication re-raises the
    error as its own AuthenticationFailed):

    - no header, or another scheme: None (anonymous);
    - "Bearer" alone, more than one word after it, or a token that is not
      ASCII: InvalidToken.

    :raise InvalidToken: a Bearer header that carries no usable token.
    """
    parts = (value or "").encode(_HEADER_ENCODING).split()
    if not parts or parts[0].lower() != _BEARER:
        return None
    if len(parts) != 2:
        raise InvalidToken()
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise InvalidToken() from None


class InvalidGrant(ApplicationError):
    """RFC 6749's `invalid_grant`: a bad password grant or refresh token.

    400 in the normal envelope at /auth/refresh; the token endpoint turns it
    into the RFC shape with `OAuthError.from_application_error`.
    """

    status = 400
    code = "invalid_grant"
    default_message = MSG_INVALID_GRANT_REFRESH


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds until the access token expires

    def as_oauth_body(self) -> dict[str, Any]:
        """The RFC 6749 §5.1 success body, shared by /auth/token and /auth/refresh."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }


@dataclass(frozen=True)
class AccessContext:
    """What an authenticated request knows: the user (fresh from the DB) and the claims."""

    user: User
    claims: dict[str, Any]

    @property
    def family_id(self) -> str:
        return str(self.claims["fam"])


class TokenService:
    """Issues, rotates, checks and revokes tokens.

    Extension point for caches: every revocation, whatever its cause, goes
    through `_revoke`, which knows the ids of the families it revoked.
    """

    # --- Issuing ------------------------------------------------------------

    def issue_for_login(self, user: User) -> TokenPair:
        """Open a new login family for `user` and return its first token pair."""
        now = timezone.now()
        family = TokenFamily.objects.create(
            user=user,
            created_at=now,
            expires_at=now + settings.REFRESH_FAMILY_LIFETIME,
            current_jti=uuid.uuid4(),
        )
        return self._pair(user, family, now)

    def _pair(self, user: User, family: TokenFamily, now: datetime) -> TokenPair:
        access = LoginAccessToken.for_login(user, family=family, issued_at=now)
        refresh = LoginRefreshToken.for_login(user, family=family, issued_at=now)
        # From the unrounded lifetime: `exp` is whole seconds, `now` is not.
        expires_in = LoginAccessToken.lifetime_within(family, now).total_seconds()
        return TokenPair(str(access), str(refresh), max(0, int(expires_in)))

    # --- Access tokens --------------------------------------------------------

    def verify_access(self, token: str) -> dict[str, Any]:
        """The claims of a valid access token, checked without the database.

        Signature with the pinned algorithm, `aud`, `iss`, every required
        claim, `token_type` == "access", and `exp` (`exp == now` is expired).
        Whether its login is still open is `resolve_access`'s question.

        A token that passed is remembered until its `exp`
        (accounts.jwt_tokens.VerifiedAccessTokens): clients send the same
        token on every request, and the check gives the same answer each
        time until then. Revocation is not part of this check, so
        remembering it changes nothing there.

        :raise InvalidToken: anything wrong with the token itself.
        """
        claims = verified_access_tokens.get(token)
        if claims is not None:
            return claims
        try:
            claims = LoginAccessToken.verified(token).payload
        except TokenError as exc:
            raise InvalidToken() from exc
        verified_access_tokens.put(token, claims)
        return claims

    def resolve_access(self, claims: dict[str, Any]) -> AccessContext:
        """The user behind verified access-token claims, if their login is still open.

        One query (family joined to its user): the role and active flag come
        from the database, not from the token, so changes apply at once.

        :raise InvalidToken: the family is unknown, revoked or over, belongs
            to someone else, or its user may no longer authenticate.
        """
        family = (
            TokenFamily.objects.select_related("user").filter(pk=claims[FAMILY_CLAIM]).first()
        )
        if (
            family is None
            or family.revoked_at is not None
            or family.expires_at <= timezone.now()
            or str(family.user_id) != str(claims["sub"])
            or not family.user.can_authenticate
        ):
            raise InvalidToken()
        return AccessContext(user=family.user, claims=claims)

    def authenticate_access(self, token: str) -> AccessContext:
        """Resolve a Bearer token to its user: `verify_access`, then `resolve_access`.

        :raise InvalidToken: a bad token, or one whose login is over.
        """
        return self.resolve_access(self.verify_access(token))

    # --- Refresh tokens ---------------------------------------------------------

    def rotate(self, refresh_token: str) -> TokenPair:
        """Swap a refresh token for a new pair; the presented one is spent.

        Raises InvalidGrant for any unusable token. On reuse the family's
        revocation is committed first: the `atomic` block ends normally and
        only then is the error raised (raising inside it would roll the
        revocation back).
        """
        try:
            claims = LoginRefreshToken.verified(refresh_token).payload
        except TokenError as exc:
            raise InvalidGrant() from exc

        reused = False
        pair: TokenPair | None = None
        with transaction.atomic():
            # The lock: a concurrent rotation of the same family waits here
            # until we commit, then sees our new current_jti and loses.
            family = (
                TokenFamily.objects.select_for_update().filter(pk=claims[FAMILY_CLAIM]).first()
            )
            now = timezone.now()
            if family is None or family.revoked_at is not None or family.expires_at <= now:
                raise InvalidGrant()
            if family.current_jti.hex != uuid.UUID(str(claims["jti"])).hex:
                self._revoke(TokenFamily.objects.filter(pk=family.pk), RevokedReason.REUSE)
                reused = True
            else:
                user = User.objects.get(pk=family.user_id)
                if str(user.pk) != str(claims["sub"]) or not user.can_authenticate:
                    raise InvalidGrant()
                family.current_jti = uuid.uuid4()
                family.refreshed_at = now
                family.rotation_count += 1
                family.save(update_fields=["current_jti", "refreshed_at", "rotation_count"])
                pair = self._pair(user, family, now)
        if reused or pair is None:
            raise InvalidGrant()
        return pair

    # --- Revocation ---------------------------------------------------------------

    def logout(self, *, claims: dict[str, Any], refresh_token: str | None = None) -> None:
        """Revoke the access token's family, and the refresh token's if it is valid.

        A bad, expired or foreign refresh token is ignored: logout still
        succeeds (the caller's own login is over either way).
        """
        family_ids = {str(claims[FAMILY_CLAIM])}
        if refresh_token:
            try:
                refresh_claims = LoginRefreshToken.verified(refresh_token).payload
            except TokenError:
                refresh_claims = None
            # Only the caller's own logins: a leaked token of someone else
            # is not a licence to log them out.
            if refresh_claims is not None and str(refresh_claims["sub"]) == str(claims["sub"]):
                family_ids.add(str(refresh_claims[FAMILY_CLAIM]))
        self._revoke(TokenFamily.objects.filter(pk__in=family_ids), RevokedReason.LOGOUT)

    def revoke_all_for_user(self, user: User, reason: str) -> int:
        """Revoke every open login of `user`; returns how many were open."""
        return len(self._revoke(TokenFamily.objects.filter(user=user), reason))

    def revoke_families(
        self, families: QuerySet[TokenFamily], reason: str = RevokedReason.ADMIN
    ) -> int:
        """Revoke the still-open families of a queryset (the admin action); returns how many."""
        return len(self._revoke(families, reason))

    def _revoke(self, families: QuerySet[TokenFamily], reason: str) -> list[uuid.UUID]:
        """The one place login families are revoked; returns the ids it revoked.

        Logout, reuse, password change, deactivation, soft delete and the
        admin all end here, so whatever must follow a revocation (dropping a
        cached "this login is open") is written once. It may run inside the
        caller's transaction (rotation's): anything outside the database
        belongs in `transaction.on_commit`.

        Locking the still-open rows first makes the returned ids exact: a
        concurrent revocation of the same family waits, then finds it
        already revoked and leaves it (and its reason) alone.
        """
        with transaction.atomic():
            revoked_ids = list(
                TokenFamily.objects.select_for_update()
                .filter(pk__in=families.values("pk"), revoked_at__isnull=True)
                .values_list("pk", flat=True)
            )
            if revoked_ids:
                TokenFamily.objects.filter(pk__in=revoked_ids).update(
                    revoked_at=timezone.now(), revoked_reason=reason
                )
                # Tombstones for the hot read path's login snapshots, once
                # this commits (accounts/token_snapshots.py).
                token_snapshots.families_revoked([str(pk) for pk in revoked_ids])
        return revoked_ids


token_service = TokenService()

__all__ = [
    "AccessContext",
    "InvalidGrant",
    "TokenPair",
    "TokenService",
    "token_service",
]


def end_logins_after_password_change(sender: type, user: User, **kwargs: Any) -> None:
    """Receiver of `accounts.signals.password_changed` (connected in AccountsConfig.ready).

    A new password ends every earlier login of its user, whichever path
    changed it: the API, a password reset, the admin, `manage.py
    changepassword`, a shell.
    """
    token_service.revoke_all_for_user(user, RevokedReason.PASSWORD_CHANGE)
