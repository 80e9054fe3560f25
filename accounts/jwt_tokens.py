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
  refused here, such a token is a 401, never a 500 further on. The dates
  (`exp`, `iat`, `nbf`) must be NumericDates a datetime can hold (RFC 7519
  §2: a malformed one makes the token invalid): PyJWT reads `"1893456000"`
  as a number, and simplejwt then fails on the string, or on `10**30`, with
  a TypeError or an OverflowError. `sub` must be a user id as issued: a
  string of digits that fits the id column.
- Settings read when used. simplejwt's AccessToken binds `lifetime`, and
  `rest_framework_simplejwt.state` its TokenBackend, once at import; these
  read SIMPLE_JWT at use time, so a changed setting (`override_settings`,
  pytest-django's `settings`) applies at once.
- `VerifiedAccessTokens`: a token whose signature and claims were checked
  once is remembered until it expires, so a client sending the same Bearer
  token on every request pays the HMAC check and the claim checks once per
  process. This only saves re-checking the token itself: whether its login
  is still open is asked on every request (accounts/tokens.py,
  accounts/token_snapshots.py), so logout and revocation refuse it at once.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Self, cast

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
# NumericDate claims: when present, numbers within what a datetime holds.
DATE_CLAIMS = ("exp", "iat", "nbf")
# 9999-12-31T23:59:59Z, the last second `datetime` can represent.
LATEST_NUMERIC_DATE = 253_402_300_799
# The largest user id: the primary key is a signed 64-bit integer.
MAX_USER_ID = 2**63 - 1


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
        # A new key, audience or issuer: what was verified under the old ones is not.
        verified_access_tokens.clear()


class VerifiedAccessTokens:
    """Access tokens already verified, with their claims, until their `exp` (a bounded LRU).

        claims = verified_access_tokens.get(raw)     # None: not seen, or expired
        if claims is None:
            claims = LoginAccessToken.verified(raw).payload   # raises on a bad token
            verified_access_tokens.put(raw, claims)

    The key is the whole token string, signature included: a token differing
    in one byte is another entry, so a forged or altered token can only be
    checked, never found here. Only tokens that passed every check are put
    in; an entry is dropped (and the token checked again in full) once the
    clock reaches its `exp`, the same instant the full check starts refusing
    it. At most `max_entries` tokens are kept, the least recently used
    leaving first: a client cycling through many valid tokens costs memory
    only up to that bound. The lock makes it safe from the event loop and
    the worker threads at once; each operation holds it for a dict lookup.
    """

    max_entries = 4096
    # A class attribute so tests can move the clock (time-machine does).
    timer = staticmethod(time.time)

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[dict[str, Any], float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, raw: str) -> dict[str, Any] | None:
        """The claims of `raw` if it was verified and has not expired; else None."""
        with self._lock:
            entry = self._entries.get(raw)
            if entry is None:
                return None
            claims, expires_at = entry
            if self.timer() >= expires_at:
                del self._entries[raw]
                return None
            self._entries.move_to_end(raw)
        return dict(claims)  # a copy: a caller changing its claims changes no one else's

    def put(self, raw: str, claims: dict[str, Any]) -> None:
        """Remember a token that passed every check (its `exp` is required, so present)."""
        with self._lock:
            self._entries[raw] = (dict(claims), float(claims["exp"]))
            self._entries.move_to_end(raw)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


verified_access_tokens = VerifiedAccessTokens()


class _LifetimeSetting:
    """A `lifetime` class attribute that reads SIMPLE_JWT when used, not at import."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> timedelta:
        # simplejwt's settings object reads its attributes dynamically (Any);
        # the *_TOKEN_LIFETIME settings are timedeltas.
        return cast(timedelta, getattr(jwt_settings(), self.name))


class LoginToken(Token):
    """A token of one login family: what access and refresh tokens share.

    Subclasses set `token_type` and `lifetime`, as simplejwt's own do.
    """

    @property
    def token_backend(self) -> TokenBackend:
        return token_backend()

    @classmethod
    def lifetime_within(cls, family: TokenFamily, issued_at: datetime) -> timedelta:
        """This token's lifetime, cut short where the login itself ends.

        A login's chain ends REFRESH_FAMILY_LIFETIME after the password was
        given, however often it is refreshed: no token outlives it.
        """
        lifetime = cls.lifetime
        assert lifetime is not None, "each subclass sets its lifetime"
        return min(lifetime, family.expires_at - issued_at)

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
        try:
            # simplejwt annotates its `token` argument as a Token; it is the encoded str.
            return cls(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError) as exc:
            # A claim no check above foresaw broke a conversion: invalid, not a 500.
            raise TokenError(_("Token has a malformed claim")) from exc

    def verify(self) -> None:
        """Well-formed dates first (simplejwt's own check trips on others), then
        simplejwt's checks (exp, jti, token_type), then every claim we rely on."""
        for claim in DATE_CLAIMS:
            if claim in self.payload and not _is_numeric_date(self.payload[claim]):
                raise TokenError(_("Token has a malformed claim"))
        super().verify()
        if any(claim not in self.payload for claim in REQUIRED_CLAIMS):
            raise TokenError(_("Token is missing a required claim"))
        try:
            uuid.UUID(str(self.payload[FAMILY_CLAIM]))
            uuid.UUID(str(self.payload["jti"]))
        except (ValueError, TypeError) as exc:
            raise TokenError(_("Token has a malformed claim")) from exc
        if not _is_user_id(self.payload["sub"]):
            raise TokenError(_("Token has a malformed claim"))


def _is_numeric_date(value: object) -> bool:
    """A JSON number of seconds since the epoch that a datetime can hold (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 <= value <= LATEST_NUMERIC_DATE  # False for NaN; infinities are out of range


def _is_user_id(value: object) -> bool:
    """What `for_user` writes: the id as a string of ASCII digits, in the id column's range."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= len(str(MAX_USER_ID))  # before int(): no huge conversions
        and value.isascii()
        and value.isdigit()
        and 1 <= int(value) <= MAX_USER_ID
    )


class LoginAccessToken(LoginToken, AccessToken):
    """The Bearer token: `role` for clients to read; the server reads the database."""

    token_type = ACCESS
    lifetime = _LifetimeSetting("ACCESS_TOKEN_LIFETIME")

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
    lifetime = _LifetimeSetting("REFRESH_TOKEN_LIFETIME")

    @classmethod
    def for_login(cls, user: User, *, family: TokenFamily, issued_at: datetime) -> Self:
        token = super().for_login(user, family=family, issued_at=issued_at)
        token["jti"] = family.current_jti.hex
        return token
