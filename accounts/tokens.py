"""The token service: JWT access tokens and rotating refresh tokens, for all three APIs.

Why not simplejwt's rotation + blacklist: measured under 16 parallel
refreshes of one token, 11–15 succeeded; it has no reuse detection and never
checks access tokens against its blacklist (../shared/NOTES.md). So:

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

JWTs are HS256 with the algorithm pinned (`none` and every other `alg` are
refused), `aud` and `iss` set and checked, and `token_type` checked: a
refresh token is never an access token, nor the other way round.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import token_snapshots
from accounts.models import RevokedReason, TokenFamily, User
from common.errors import ApplicationError, InvalidToken

ACCESS = "access"
REFRESH = "refresh"

MSG_INVALID_GRANT_REFRESH = "The refresh token is invalid, expired or revoked."

_REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "token_type", "fam", "aud", "iss"]

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


class _BadToken(Exception):
    """Internal: the JWT itself is unusable (signature, alg, claims, type, expiry)."""


class TokenService:
    """Issues, rotates, checks and revokes tokens.

    Collaborators a test may swap: `_now()` (the clock every expiry check
    uses, PyJWT's own clock included) and the settings it reads at call time.
    """

    def _now(self) -> datetime:
        # Used for mocking in tests.
        return timezone.now()

    # --- Issuing ------------------------------------------------------------

    def issue_for_login(self, user: User) -> TokenPair:
        """Open a new login family for `user` and return its first token pair."""
        now = self._now()
        family = TokenFamily.objects.create(
            user=user,
            created_at=now,
            expires_at=now + settings.REFRESH_FAMILY_LIFETIME,
            current_jti=uuid.uuid4(),
        )
        return self._pair(user, family, now)

    def _pair(self, user: User, family: TokenFamily, now: datetime) -> TokenPair:
        # Neither token outlives its family: the 30-day end is absolute.
        access_exp = min(now + settings.ACCESS_TOKEN_LIFETIME, family.expires_at)
        refresh_exp = min(now + settings.REFRESH_TOKEN_LIFETIME, family.expires_at)
        access = self._encode(
            {"sub": str(user.pk), "role": user.role, "token_type": ACCESS,
             "jti": uuid.uuid4().hex},
            family=family, now=now, exp=access_exp,
        )
        refresh = self._encode(
            {"sub": str(user.pk), "token_type": REFRESH, "jti": family.current_jti.hex},
            family=family, now=now, exp=refresh_exp,
        )
        return TokenPair(access, refresh, max(0, int((access_exp - now).total_seconds())))

    def _encode(
        self, claims: dict[str, Any], *, family: TokenFamily, now: datetime, exp: datetime
    ) -> str:
        payload = {
            **claims,
            "fam": str(family.pk),
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "aud": settings.JWT_AUDIENCE,
            "iss": settings.JWT_ISSUER,
        }
        return jwt.encode(payload, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)

    # --- Decoding -----------------------------------------------------------

    def _decode(self, token: str, *, expected_type: str) -> dict[str, Any]:
        """Verify signature, alg, aud, iss, required claims, expiry and type.

        PyJWT checks `exp` and `iat` against the wall clock; we check `exp`
        against `_now()` instead, so tests can move time, and treat
        `exp == now` as expired.
        """
        if not isinstance(token, str) or not token:
            raise _BadToken("empty")
        try:
            claims = jwt.decode(
                token,
                settings.JWT_SIGNING_KEY,
                # The pin: a token whose header says "none", RS256, HS512...
                # is refused before its signature is even looked at.
                algorithms=[settings.JWT_ALGORITHM],
                audience=settings.JWT_AUDIENCE,
                issuer=settings.JWT_ISSUER,
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise _BadToken(str(exc)) from exc
        if claims.get("token_type") != expected_type:
            raise _BadToken("wrong token type")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(iat, int | float) or not isinstance(exp, int | float):
            raise _BadToken("malformed exp/iat")
        if exp <= self._now().timestamp():
            raise _BadToken("expired")
        try:
            uuid.UUID(str(claims["fam"]))
            uuid.UUID(str(claims["jti"]))
            int(claims["sub"])
        except (ValueError, TypeError) as exc:
            raise _BadToken("malformed claims") from exc
        return claims

    # --- Access tokens --------------------------------------------------------

    def verify_access(self, token: str) -> dict[str, Any]:
        """The claims of a well-formed, unexpired access token; no database.

        Whether its login is still valid is `authenticate_access`'s question
        (or, on the hot read path, token_snapshots').

        :raise InvalidToken: bad signature, alg, claims, type or expiry.
        """
        try:
            return self._decode(token, expected_type=ACCESS)
        except _BadToken as exc:
            raise InvalidToken() from exc

    def authenticate_access(self, token: str) -> AccessContext:
        """Resolve a Bearer token to its user, or raise InvalidToken.

        One query (family joined to its user): the role and active flag come
        from the database, not from the token, so changes apply at once.
        """
        return self.authenticate_claims(self.verify_access(token))

    def authenticate_claims(self, claims: dict[str, Any]) -> AccessContext:
        """`authenticate_access` for claims already verified by `verify_access`."""
        family = (
            TokenFamily.objects.select_related("user").filter(pk=claims["fam"]).first()
        )
        if (
            family is None
            or family.revoked_at is not None
            or family.expires_at <= self._now()
            or str(family.user_id) != str(claims["sub"])
            or not family.user.can_authenticate
        ):
            raise InvalidToken()
        return AccessContext(user=family.user, claims=claims)

    # --- Refresh tokens ---------------------------------------------------------

    def rotate(self, refresh_token: str) -> TokenPair:
        """Swap a refresh token for a new pair; the presented one is spent.

        Raises InvalidGrant for any unusable token. On reuse the family's
        revocation is committed first: the `atomic` block ends normally and
        only then is the error raised (raising inside it would roll the
        revocation back).
        """
        try:
            claims = self._decode(refresh_token, expected_type=REFRESH)
        except _BadToken as exc:
            raise InvalidGrant() from exc

        reused = False
        pair: TokenPair | None = None
        with transaction.atomic():
            # The lock: a concurrent rotation of the same family waits here
            # until we commit, then sees our new current_jti and loses.
            family = TokenFamily.objects.select_for_update().filter(pk=claims["fam"]).first()
            now = self._now()
            if family is None or family.revoked_at is not None or family.expires_at <= now:
                raise InvalidGrant()
            if family.current_jti.hex != uuid.UUID(str(claims["jti"])).hex:
                self._revoke(family, RevokedReason.REUSE, now)
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
        now = self._now()
        family_ids = {str(claims["fam"])}
        if refresh_token:
            try:
                refresh_claims = self._decode(refresh_token, expected_type=REFRESH)
            except _BadToken:
                refresh_claims = None
            # Only the caller's own logins: a leaked token of someone else
            # is not a licence to log them out.
            if refresh_claims is not None and str(refresh_claims["sub"]) == str(claims["sub"]):
                family_ids.add(str(refresh_claims["fam"]))
        self._revoke_open(
            TokenFamily.objects.filter(pk__in=family_ids), RevokedReason.LOGOUT, now
        )

    def revoke_all_for_user(self, user: User, reason: str) -> int:
        """Revoke every open login of `user`; returns how many were open."""
        return self._revoke_open(TokenFamily.objects.filter(user=user), reason, self._now())

    def revoke_families(self, families: Any, reason: str = RevokedReason.ADMIN) -> int:
        """Revoke the still-open families of a queryset (the admin action)."""
        return self._revoke_open(families, reason, self._now())

    def _revoke(self, family: TokenFamily, reason: str, now: datetime) -> None:
        family.revoked_at = now
        family.revoked_reason = reason
        family.save(update_fields=["revoked_at", "revoked_reason"])
        token_snapshots.families_revoked([str(family.pk)])

    def _revoke_open(self, families: Any, reason: str, now: datetime) -> int:
        """Revoke the still-open families of a queryset; tombstone their snapshots."""
        with transaction.atomic():
            ids = [str(pk) for pk in families.filter(revoked_at__isnull=True)
                   .select_for_update().values_list("pk", flat=True)]
            revoked = TokenFamily.objects.filter(pk__in=ids).update(
                revoked_at=now, revoked_reason=reason
            )
            token_snapshots.families_revoked(ids)
        return revoked


token_service = TokenService()

__all__ = [
    "AccessContext",
    "InvalidGrant",
    "TokenPair",
    "TokenService",
    "token_service",
]
