"""The JWTs themselves, on djangorestframework-simplejwt: their claims and their checks.

    access = LoginAccessToken.for_login(user, family=family, issued_at=now)
    str(access)                             # signed by simplejwt's TokenBackend
    LoginAccessToken.verified(raw).payload  # checked, or TokenError

Everything simplejwt already does well is used as it is, configured by
`settings.SIMPLE_JWT`:

- `TokenBackend` signs and decodes. It gives PyJWT `algorithms=[ALGORITHM]`
  (the pin: `none`, HS512, RS256... are refused before the signature is
  even looked at) and the `AUDIENCE` and `ISSUER` to set and require.
- `Token.verify` requires `exp` (and `exp == now` is already expired),
  `jti`, and the right `token_type`: a refresh token is never an access
  token, nor the other way round.
- `Token.for_user` puts the user id in `sub` (USER_ID_CLAIM), as a string.

What these subclasses add, and why:

- `fam`, the login family (accounts.models.TokenFamily) the token belongs
  to. accounts.tokens checks it in the database: that is how logout, reuse
  detection and password changes reach access tokens, which simplejwt's
  blacklist never does.
- Stricter claims: every claim the token service relies on must be present
  and well-formed. simplejwt accepts a signed token without `iat` or `sub`;
  refused here, such a token is a 401, never a 500 further on.
- Settings read when used. simplejwt's AccessToken binds `lifetime`, and
  `rest_framework_simplejwt.state` its TokenBackend, once at import; these
  read SIMPLE_JWT at use time, so a changed setting (`override_settings`,
  pytest-django's `settings`) applies at once.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime, timedelta
from typing import Any, Self

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.models import TokenFamily, User

ACCESS = "access"
REFRESH = "refresh"
# The login family's id, in every token of that login.
FAMILY_CLAIM = "fam"

# What the token service reads from a verified token; all must be there.
REQUIRED_CLAIMS = ("sub", "exp", "iat", "jti", "token_type", FAMILY_CLAIM, "aud", "iss")


def jwt_settings() -> Any:
    """simplejwt's settings object, as it is now.

    simplejwt rebinds `api_settings` when SIMPLE_JWT changes, so it is read
    through its module each time, never imported by name.
    """
    return simplejwt_settings.api_settings


@functools.cache
def token_backend() -> TokenBackend:
    """The TokenBackend for the current SIMPLE_JWT (built once, rebuilt when it changes)."""
    options = jwt_settings()
    return TokenBackend(
        options.ALGORITHM,
        options.SIGNING_KEY,
        options.VERIFYING_KEY,
        options.AUDIENCE,
        options.ISSUER,
        options.JWK_URL,
        options.LEEWAY,
        options.JSON_ENCODER,
    )


@receiver(setting_changed)
def _forget_token_backend(*, setting: str, **kwargs: Any) -> None:
    if setting == "SIMPLE_JWT":
        token_backend.cache_clear()


class _LifetimeSetting:
    """A `lifetime` class attribute that reads SIMPLE_JWT when used, not at import."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> timedelta:
        return getattr(jwt_settings(), self.name)


class LoginToken(Token):
    """A token of one login family: what access and refresh tokens share.

    Subclasses set `token_type` and `lifetime`, as simplejwt's own do.
    """

    @property
    def token_backend(self) -> TokenBackend:  # type: ignore[override]
        return token_backend()

    @classmethod
    def lifetime_within(cls, family: TokenFamily, issued_at: datetime) -> timedelta:
        """This token's lifetime, cut short where the login itself ends.

        A login's chain ends REFRESH_FAMILY_LIFETIME after the password was
        given, however often it is refreshed: no token outlives it.
        """
        return min(cls.lifetime, family.expires_at - issued_at)  # type: ignore[type-var]

    @classmethod
    def for_login(cls, user: User, *, family: TokenFamily, issued_at: datetime) -> Self:
        """A new token for `user`'s login `family`, issued at `issued_at`."""
        token = cls.for_user(user)  # token_type, jti, sub
        token[FAMILY_CLAIM] = str(family.pk)
        token.current_time = issued_at
        token.set_iat(at_time=issued_at)
        token.set_exp(from_time=issued_at, lifetime=cls.lifetime_within(family, issued_at))
        return token

    @classmethod
    def verified(cls, raw: str) -> Self:
        """Decode and verify `raw`. :raise TokenError: anything wrong with it.

        Refuses "" first: simplejwt reads a missing token as "make a new one".
        """
        if not isinstance(raw, str) or not raw:
            raise TokenError(_("Token is invalid"))
        return cls(raw)  # type: ignore[arg-type]  # simplejwt annotates the raw token oddly

    def verify(self) -> None:
        """simplejwt's checks (exp, jti, token_type), then every claim we rely on."""
        super().verify()
        if any(claim not in self.payload for claim in REQUIRED_CLAIMS):
            raise TokenError(_("Token is missing a required claim"))
        try:
            uuid.UUID(str(self.payload[FAMILY_CLAIM]))
            uuid.UUID(str(self.payload["jti"]))
            int(self.payload["sub"])
        except (ValueError, TypeError) as exc:
            raise TokenError(_("Token has a malformed claim")) from exc


class LoginAccessToken(LoginToken, AccessToken):
    """The Bearer token: `role` for clients to read; the server reads the database."""

    token_type = ACCESS
    lifetime = _LifetimeSetting("ACCESS_TOKEN_LIFETIME")  # type: ignore[assignment]

    @classmethod
    def for_login(cls, user: User, *, family: TokenFamily, issued_at: datetime) -> Self:
        token = super().for_login(user, family=family, issued_at=issued_at)
        token["role"] = user.role
        return token


class LoginRefreshToken(LoginToken):
    """The refresh token: its `jti` is the family's `current_jti`, the one that may be spent.

    Not simplejwt's RefreshToken: its BlacklistMixin is what the family row
    replaces (one row per login instead of one per token, with a lock).
    """

    token_type = REFRESH
    lifetime = _LifetimeSetting("REFRESH_TOKEN_LIFETIME")  # type: ignore[assignment]

    @classmethod
    def for_login(cls, user: User, *, family: TokenFamily, issued_at: datetime) -> Self:
        token = super().for_login(user, family=family, issued_at=issued_at)
        token["jti"] = family.current_jti.hex
        return token
