"""Password reset by email, for all three APIs: accept a request, send the link, confirm.

    email = password_reset_accept(email="alice@example.com", client_ip="203.0.113.7")
    # ... the framework answers 202 at once, then, after the response:
    password_reset_deliver(email=email, site_url="https://books.example.org")
    # ... later, from the link in the email:
    password_reset_confirm(uid="MQ", token="c4x9-...", new_password="...")

Why the request is split in two. `accept` does what the answer depends on:
the email's shape (422) and the rate limits (429, 503), the same work for
an address that exists and one that does not. `deliver` does what must not
show in the answer: looking the address up, making the token, talking to the
mail server. Each framework runs `deliver` after its response is on its way
(FastAPI: BackgroundTasks; Flask: `response.call_on_close`; DRF, which has
no after-response hook: a small thread pool, `common.background`). So the
202 takes the same time whether or not the address belongs to anyone, and a
slow SMTP server slows nobody's request.

Tokens are Django's `PasswordResetTokenGenerator` (the one Django's own
reset views use): an HMAC, keyed with SECRET_KEY, over the user's id,
password hash, `last_login` and the time. Nothing is stored. A token stops
working when the password changes (so it is one-time: using it changes the
password), when the user logs in again (last_login moves), or after
PASSWORD_RESET_TIMEOUT seconds. The `uid` is the user id in URL-safe base64,
as in Django's views.

Rate limits, counted like logins before any work: RATE_LIMIT_PASSWORD_RESET
per client IP and, separately, per email address (hashed: the cache never
holds addresses). Unknown addresses are counted like known ones, so a 429
reveals nothing. When the cache is down the request is refused (503): an
unmetered endpoint that sends email is a spam cannon.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts import identity, rules
from accounts.models import RevokedReason, User
from accounts.tokens import token_service
from common.errors import ApplicationError, FieldInvalid, ValidationFailed
from throttling.identity import bucket_for_ip
from throttling.limiter import Policy, enforce
from throttling.rates import rate_setting

logger = logging.getLogger(__name__)

# Policy names: they appear in the RateLimit headers of a refusal and in cache keys.
POLICY_RESET_IP = "password-reset-ip"
POLICY_RESET_EMAIL = "password-reset-email"
RATE_SETTING = "RATE_LIMIT_PASSWORD_RESET"

# The page the link in the email opens (accounts.pages); it posts to the same
# `password_reset_confirm` as the three APIs.
CONFIRM_PAGE_PATH = "/password-reset/{uid}/{token}"

MSG_INVALID_RESET_TOKEN = "The password reset link is invalid, expired or already used."
EMAIL_SUBJECT = "Reset your password"
EMAIL_BODY = """\
Hello {username},

someone (hopefully you) asked to reset the password of your account.
Open this link to choose a new password:

    {link}

Or send the two values below to POST /api/{{drf|fastapi|flask}}/auth/password-reset/confirm
as JSON {{"uid": "...", "token": "...", "new_password": "..."}}:

    uid:   {uid}
    token: {token}

The link works once, and stops working after {hours} hours or when you log in
again. If you did not ask for it, ignore this email: your password is unchanged.
"""


class InvalidResetToken(ApplicationError):
    """400 `invalid_token`: a used, expired or forged reset token (or uid)."""

    status = 400
    code = "invalid_token"
    default_message = MSG_INVALID_RESET_TOKEN


# Collaborators a test may swap, as Django's own views hold them.
token_generator: PasswordResetTokenGenerator = default_token_generator


# --- 1. Accept: what the 202 depends on -----------------------------------------------


def _email_identity(email: str) -> str:
    """The per-address budget's key: case-folded and hashed (no addresses in the cache)."""
    return "email:" + hashlib.sha256(identity.canonical(email).encode()).hexdigest()[:32]


def reset_policies(*, email: str, client_ip: str) -> list[Policy]:
    """The two budgets a reset request spends: its client IP's, then its address's."""
    rate_setting(RATE_SETTING)  # a bad value fails loudly, naming the setting
    rate = getattr(settings, RATE_SETTING)
    return [
        Policy(POLICY_RESET_IP, f"ip:{bucket_for_ip(client_ip)}", rate),
        Policy(POLICY_RESET_EMAIL, _email_identity(email), rate),
    ]


def password_reset_accept(*, email: str, client_ip: str) -> str:
    """Check a reset request and count it; returns the address to deliver to.

    Does the same work whatever the address: no database lookup here.

    :raise ValidationFailed: the email is not a valid address (422).
    :raise RateLimited: too many requests from this IP or for this address (429).
    :raise ServiceUnavailable: the cache is down, so nothing can be counted (503).
    """
    try:
        clean_email = rules.clean_email(email)
    except FieldInvalid as exc:
        raise ValidationFailed.single("email", exc.message) from None
    for policy in reset_policies(email=clean_email, client_ip=client_ip):
        enforce(policy, strict=True)
    return clean_email


# --- 2. Deliver: after the response ---------------------------------------------------


def _encode_uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def reset_link(*, site_url: str, uid: str, token: str) -> str:
    """The confirm page's absolute URL on the site the request came to."""
    path = CONFIRM_PAGE_PATH.format(uid=quote(uid), token=quote(token))
    return site_url.rstrip("/") + path


def password_reset_deliver(*, email: str, site_url: str) -> bool:
    """Send the reset email if `email` belongs to an active user; True when sent.

    Runs after the response, where nobody can see an error: every failure
    (database, mail server) is logged and swallowed, never raised.
    """
    try:
        user = (
            User.objects.filter(
                email_canonical=identity.canonical(email), is_active=True, deleted_at__isnull=True
            )
            .order_by("id")
            .first()
        )
        if user is None or not user.has_usable_password():
            return False
        uid = _encode_uid(user)
        token = token_generator.make_token(user)
        body = EMAIL_BODY.format(
            username=user.username,
            link=reset_link(site_url=site_url, uid=uid, token=token),
            uid=uid,
            token=token,
            hours=max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
        )
        send_mail(EMAIL_SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        return True
    except Exception:  # after the response nobody else can report it
        logger.exception("password reset email could not be sent")
        return False


# --- 3. Confirm: the token sets a new password ----------------------------------------


def _user_id_from_uid(uid: str) -> int | None:
    try:
        return int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None


def password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set `new_password` if `token` is a valid reset token for `uid`'s user.

    The user's row is locked while the token is checked and the password
    written, so two concurrent confirms of one token cannot both succeed:
    the second sees the new password hash and its token no longer matches.
    Every earlier login of the user is revoked (access and refresh tokens).

    :raise InvalidResetToken: unknown uid, or a used, expired or forged token (400).
    :raise ValidationFailed: the new password fails the validators (422, field
        `new_password`); the token stays valid then.
    """
    user_id = _user_id_from_uid(uid)
    if user_id is None or not token:
        raise InvalidResetToken()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None or not user.can_authenticate:
            raise InvalidResetToken()
        if not token_generator.check_token(user, token):
            raise InvalidResetToken()
        try:
            rules.check_password(new_password, user)
        except FieldInvalid as exc:
            raise ValidationFailed.single("new_password", exc.message) from None
        user.set_password(new_password)
        user.save(update_fields=["password"])
        token_service.revoke_all_for_user(user, RevokedReason.PASSWORD_CHANGE)
    return user
