"""Password reset by email, for all three APIs: accept a request, send the link, confirm.

    email = password_reset_accept(email="alice@example.com", client_ip="203.0.113.7")
    # ... the framework stores the email as a job (common.mail) and answers 202 at once
    # (email is None when the address's mail budget is spent: nothing is sent):
    outbox.send_later(password_reset_email, email=email, site_url="https://books.example.org")
    # ... later, from the link in the email:
    password_reset_confirm(uid="MQ", token="c4x9-...", new_password="...")

Why the request is split in two. `accept` does what the answer depends on:
the email's shape (422), the request rate limit (429, 503) and the mail
budgets, the same work for an address that exists and one that does not. Sending does what must not
show in the answer: looking the address up, making the token, talking to the
mail server. Every framework hands `password_reset_email` and its keyword
arguments to `common.mail.outbox.send_later` and answers 202 at once, so
the answer takes the same time whether or not the address belongs to
anyone. With MAIL_QUEUE "tasks" (the default) that stores a job, a row
naming this function; `manage.py db_worker`, a process beside the server,
calls it and sends what it returns, retrying with backoff (docs/mail.md).
So its arguments stay JSON (two strings or None) and its name stays
importable. A slow or dead mail server (up to settings.EMAIL_TIMEOUT per
SMTP operation) then holds neither a request's thread nor a pooled
connection.

Tokens are Django's `PasswordResetTokenGenerator` (the one Django's own
reset views use), with one change (`ResetTokenGenerator`): an HMAC, keyed
with SECRET_KEY, over the user's id, password hash, email, `last_login`
*to the microsecond* and the time. Nothing is stored. A token stops working
when the password changes (so it is one-time: using it changes the
password), when the user logs in again (last_login moves), or after
PASSWORD_RESET_TIMEOUT seconds. The `uid` is the user id in URL-safe base64,
as in Django's views.

The link's origin is settings.PUBLIC_URL when set (the way to go behind a
proxy). Otherwise it is built from the request (`link_origin`): its scheme,
the Host's name if ALLOWED_HOSTS allows it, and a port only if it is the
port this server listens on; a port the client wrote in `Host` never gets
into an email.

Limits, counted like logins before any work (API.md, "Auth"):

- requests per client IP (RATE_LIMIT_PASSWORD_RESET): over it, 429;
- mail per (address, client IP) pair (PASSWORD_RESET_PER_ADDRESS_IP an
  hour) and per address across all IPs (PASSWORD_RESET_PER_ADDRESS an
  hour): over either, the answer is still 202 and nothing is sent. A
  refusal here would tell a stranger that someone asked for that address,
  and would stop the owner's own request; a budget per pair means one
  stranger's address can neither flood a mailbox nor spend the owner's
  share, and the ceiling per address bounds what many addresses can send.

Addresses are counted in canonical form and hashed (the cache never holds
addresses); unknown ones are counted like known ones. When the cache is
down the request is refused (503): an unmetered endpoint that sends email
is a spam cannon.
"""

from __future__ import annotations

import hashlib
import logging
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts import identity, rules
from accounts.models import User
from common.errors import ApplicationError, FieldInvalid, ServiceUnavailable, ValidationFailed
from common.hosts import domain_allowed, split_host
from throttling.identity import bucket_for_ip
from throttling.limiter import Policy, enforce
from throttling.rates import rate_setting

logger = logging.getLogger(__name__)

# The request rate limit's policy name: it appears in the RateLimit headers and cache keys.
POLICY_RESET_IP = "password-reset-ip"
RATE_SETTING = "RATE_LIMIT_PASSWORD_RESET"
# The mail budgets' window: the settings count emails per hour.
MAIL_BUDGET_WINDOW = 3600
# Seconds a client is told to wait when the cache (hence every budget) is down.
CACHE_DOWN_RETRY_AFTER = 30

# The page the link in the email opens (accounts.pages, Django's
# PasswordResetConfirmView); it sets the password with the same
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


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens, ended by any later login, even one in the same second.

    Django hashes `last_login` truncated to the second (it was once stored
    without microseconds), so a login within the second the token was made
    left the token valid. This project stores `last_login` to the
    microsecond on both backends (accounts.services.user_record_login), and
    the hash takes the microseconds too. Tokens made before this change no
    longer match: they were at most PASSWORD_RESET_TIMEOUT old anyway.
    """

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        login = user.last_login
        # Microseconds do not depend on the time zone the value was read in.
        micro = "" if login is None else f".{login.microsecond:06d}"
        return super()._make_hash_value(user, timestamp) + micro


# Collaborators a test may swap, as Django's own views hold them.
token_generator: PasswordResetTokenGenerator = ResetTokenGenerator()


# --- 1. Accept: what the 202 depends on -----------------------------------------------


def _budget_key(*parts: str) -> str:
    """A mail budget's cache key: hashed, so the cache never holds an address."""
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
    return f"pwreset:mail:{digest}"


def reset_policy(*, client_ip: str) -> Policy:
    """The request rate limit a reset request spends: its client IP's."""
    rate_setting(RATE_SETTING)  # a bad value fails loudly, naming the setting
    rate = getattr(settings, RATE_SETTING)
    return Policy(POLICY_RESET_IP, f"ip:{bucket_for_ip(client_ip)}", rate)


def _spend(key: str, budget: int) -> bool:
    """Count one email against a budget (atomically: `add`, then `incr`); True if within it.

    The window is MAIL_BUDGET_WINDOW from the first email counted.
    """
    for _ in range(2):
        if cache.add(key, 1, timeout=MAIL_BUDGET_WINDOW):
            return budget >= 1
        try:
            return int(cache.incr(key)) <= budget
        except ValueError:
            continue  # expired between add and incr: a new window
    raise RuntimeError("could not count a reset email")


def spend_mail_budget(*, email: str, client_ip: str) -> bool:
    """Count one reset email for `email` asked from `client_ip`; True if it may be sent.

    The pair's budget first: a request over it spends nothing of the
    address's, so one stranger's address never uses up more than its share.

    :raise ServiceUnavailable: the cache is down.
    """
    address = identity.canonical(email)
    try:
        if not _spend(
            _budget_key("pair", address, bucket_for_ip(client_ip)),
            int(settings.PASSWORD_RESET_PER_ADDRESS_IP),
        ):
            return False
        return _spend(_budget_key("address", address), int(settings.PASSWORD_RESET_PER_ADDRESS))
    except Exception as exc:
        logger.warning("password reset: cache unavailable (%s)", type(exc).__name__)
        raise ServiceUnavailable(retry_after=CACHE_DOWN_RETRY_AFTER) from exc


def password_reset_accept(*, email: str, client_ip: str) -> str | None:
    """Check a reset request and count it; the address to deliver to, or None.

    None when the address's mail budget (per pair or overall) is spent: the
    answer is the same 202, and nothing is sent. Does the same work
    whatever the address: no database lookup here.

    :raise ValidationFailed: the email is not a valid address (422).
    :raise RateLimited: too many requests from this IP (429).
    :raise ServiceUnavailable: the cache is down, so nothing can be counted (503).
    """
    try:
        clean_email = rules.clean_email(email)
    except FieldInvalid as exc:
        raise ValidationFailed.single("email", exc.message) from None
    enforce(reset_policy(client_ip=client_ip), strict=True)
    if not spend_mail_budget(email=clean_email, client_ip=client_ip):
        logger.info("password reset: an address's mail budget is spent; nothing sent")
        return None
    return clean_email


# --- 2. The email: composed by the mail worker (or the outbox's thread), then sent ----


def _encode_uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def link_origin(*, scheme: str, host: str, server_port: int | str | None) -> str | None:
    """The origin (`https://books.example.org`) reset links point at; None if there is none.

    settings.PUBLIC_URL when set. Otherwise the request's own, from what
    each framework exposes: `scheme` (believed from X-Forwarded-Proto only
    for trusted proxies, upstream of here), the domain of the `Host` header
    if settings.ALLOWED_HOSTS allows it, and a port only when it is the one
    this server listens on (`server_port`, from the ASGI scope's `server`).
    Any other port in `Host` is the client's choice and is left out: the
    link then uses the scheme's default port, which is also right behind a
    proxy on 443 that passes the Host on. A proxy on another port needs
    PUBLIC_URL. None when the host is not allowed (the ASGI host check
    refuses such requests first; this is the second lock).
    """
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL
    parts = split_host(host)
    if parts is None or not domain_allowed(parts[0], settings.ALLOWED_HOSTS):
        return None
    domain, port = parts
    scheme = scheme.lower() if scheme.lower() in _DEFAULT_PORTS else "http"
    origin = f"{scheme}://{domain}"
    ours = port and server_port is not None and port == str(server_port)
    if ours and int(port) != _DEFAULT_PORTS[scheme]:
        origin += f":{port}"
    return origin


def reset_link(*, site_url: str, uid: str, token: str) -> str:
    """The confirm page's absolute URL on the site `site_url` names."""
    path = CONFIRM_PAGE_PATH.format(uid=quote(uid), token=quote(token))
    return site_url.rstrip("/") + path


def password_reset_email(*, email: str | None, site_url: str | None) -> EmailMessage | None:
    """The reset email for `email`'s user, or None when there is no one to send it to.

    `email` None (what `password_reset_accept` answers for a spent budget):
    nothing to send.

    Looks up an active, not deleted user with that address (and a usable
    password) and makes the token; sends nothing. The mail worker
    (`common.mail_tasks.send_email`), or with MAIL_QUEUE "outbox" the
    process's sender thread (`common.mail`), calls it, then sends what it
    returns.
    """
    if email is None:
        return None
    if site_url is None:
        logger.warning("password reset email not sent: no allowed host for the link "
                       "(set PUBLIC_URL)")
        return None
    user = (
        User.objects.filter(
            email_canonical=identity.canonical(email), is_active=True, deleted_at__isnull=True
        )
        .order_by("id")
        .first()
    )
    if user is None or not user.has_usable_password():
        return None
    uid = _encode_uid(user)
    token = token_generator.make_token(user)
    body = EMAIL_BODY.format(
        username=user.username,
        link=reset_link(site_url=site_url, uid=uid, token=token),
        uid=uid,
        token=token,
        hours=max(1, settings.PASSWORD_RESET_TIMEOUT // 3600),
    )
    return EmailMessage(EMAIL_SUBJECT, body, settings.DEFAULT_FROM_EMAIL, [user.email])


# --- 3. Confirm: the token sets a new password ----------------------------------------


def _user_id_from_uid(uid: str) -> int | None:
    try:
        return int(urlsafe_base64_decode(uid).decode())
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError):
        return None


def reset_link_user(uid: str) -> User | None:
    """The user a link's `uid` names if they may still reset a password; else None.

    For the page (accounts.pages), which checks the token before it shows a
    form; `password_reset_confirm` checks everything again when it is used.
    """
    user_id = _user_id_from_uid(uid)
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    return user if user is not None and user.can_authenticate else None


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
        # Saving the new password ends every login of the user (User.save
        # sends password_changed; the token service revokes).
        user.set_password(new_password)
        user.save(update_fields=["password"])
    return user
