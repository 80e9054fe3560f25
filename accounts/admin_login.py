"""Django's login forms (the admin's first), behind the same brute-force guard as the API.

The admin's login page checks passwords too, so it must not be a side door
around the lockout: 30 guesses there would otherwise cost nothing. This form
counts every attempt in `throttling.lockout.login_guard`, the counters the
token endpoint and `current_password` use (per username from one client IP,
per IP, per username across IPs), so failures at any of them count at all:
a name locked from an address is locked there for the API and the admin
alike, and its owner logs in from their own address at both.

The admin shows its own words, as form errors on the login page, instead of
the API's JSON. A locked username reads the same whether or not it exists.
Installed by `accounts.admin`: `admin.site.login_form = GuardedAdminAuthenticationForm`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from common.client_address import client_ip
from common.errors import LockedOut, RateLimited, ServiceUnavailable

MSG_ADMIN_LOCKED_OUT = (
    "Too many failed logins for this account or from this address. "
    "Try again in %(minutes)d minute(s)."
)
MSG_ADMIN_BUSY = "Too many logins for this account are being checked at once. Try again."
MSG_ADMIN_SLOWED = (
    "Too many failed logins for this account from many addresses. "
    "Try again in %(minutes)d minute(s), or from an address you logged in from before."
)
MSG_ADMIN_UNAVAILABLE = "Logging in is temporarily unavailable. Try again later."


def request_client_ip(request: HttpRequest | None) -> str | None:
    """The client address as the API counts it (XFF only from TRUSTED_PROXIES)."""
    if request is None:
        return None
    meta = request.META
    return client_ip(peer=meta.get("REMOTE_ADDR"), forwarded_for=meta.get("HTTP_X_FORWARDED_FOR"))


class GuardedLoginMixin(AuthenticationForm):
    """Any Django login form, with each password check counted before it runs.

    A refused check (wrong password, unknown user, not staff for the admin)
    is a failure; a right one clears the counters; a check that raises is
    given back. Mix it in before the form class it guards.
    """

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return super().clean()  # a missing field: no password is checked

        from throttling import lockout  # looked up at call time, as accounts.oauth does

        refusal: list[ValidationError] = []

        def check() -> bool:
            try:
                super(GuardedLoginMixin, self).clean()
            except ValidationError as error:
                refusal.append(error)
                return False
            return True

        try:
            passed = lockout.login_guard.attempt(username, request_client_ip(self.request), check)
        except LockedOut as exc:
            raise ValidationError(
                MSG_ADMIN_LOCKED_OUT, code="locked_out", params={"minutes": _minutes(exc)}
            ) from None
        except RateLimited as exc:
            if exc.retry_after > lockout.IN_FLIGHT_RETRY_AFTER:  # slowed, not just busy
                raise ValidationError(
                    MSG_ADMIN_SLOWED, code="rate_limited", params={"minutes": _minutes(exc)}
                ) from None
            raise ValidationError(MSG_ADMIN_BUSY, code="rate_limited") from None
        except ServiceUnavailable:
            raise ValidationError(MSG_ADMIN_UNAVAILABLE, code="unavailable") from None
        if not passed:
            raise refusal[0]
        return self.cleaned_data


def _minutes(exc: LockedOut | RateLimited) -> int:
    """The wait in whole minutes, rounded up."""
    return max(1, -(-exc.retry_after // 60))


class GuardedAuthenticationForm(GuardedLoginMixin):
    """Django's plain login form, guarded: for any other login page (e.g. a
    `LoginView(authentication_form=GuardedAuthenticationForm)`)."""


class GuardedAdminAuthenticationForm(GuardedLoginMixin, AdminAuthenticationForm):
    """The admin's login form (staff only), guarded."""
