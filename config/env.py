"""Environment variables read *and checked* when the settings load.

    RATE_LIMIT_ANON = env.rate("RATE_LIMIT_ANON", "100/minute")
    ACCESS_TOKEN_LIFETIME = timedelta(seconds=env.seconds("ACCESS_TOKEN_LIFETIME", 900))

A value that cannot work stops the process at start (uvicorn, every
`manage.py` command, the test run) with a `SettingError` that names the
variable, shows its value and says what is expected. Without this, a typo
such as RATE_LIMIT_ANON=abc started fine and then answered every request
with a 500. `manage.py` prints a SettingError as one line, no traceback.

Only the standard library and the rate parser the limiter itself uses
(`throttling.rates.parse_rate`, so "valid at start" and "valid at request
time" can never disagree).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

RATE_FORMAT = "N/second, N/minute, N/hour or N/day (for example 100/minute)"


class SettingError(ImproperlyConfigured):
    """A variable's value is unusable: its name, its value and what is expected."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r} is invalid: expected {expected}.")
        self.name = name


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value.strip()


def integer(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole number >= `minimum`."""
    raw = _raw(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise SettingError(name, raw, f"a whole number of at least {minimum}")
    return value


def seconds(name: str, default: int) -> int:
    """A positive number of seconds (lifetimes, windows, timeouts)."""
    raw = _raw(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingError(name, raw, "a whole number of seconds, at least 1 (for example 900)")
    return int(raw)


def rate(name: str, default: str) -> str:
    """A rate string the limiter accepts: N/second|minute|hour|day, N >= 1."""
    from throttling.rates import parse_rate  # pure; no app registry needed

    value = _raw(name) or default
    try:
        parse_rate(value)
    except ImproperlyConfigured:
        raise SettingError(name, value, RATE_FORMAT) from None
    return value


def redact(value: str) -> str:
    """A URL fit for an error message: its password replaced by `***`."""
    parts = urlsplit(value)
    if parts.password is None:
        return value
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def url(name: str, *, schemes: tuple[str, ...], example: str) -> str:
    """A URL whose scheme is one of `schemes` (empty when unset)."""
    raw = _raw(name)
    if raw is None:
        return ""
    try:
        scheme = urlsplit(raw).scheme.lower()
    except ValueError:  # e.g. an unbalanced "[" in the host
        scheme = ""
    if scheme not in schemes:
        starts = ", ".join(s + "://" for s in schemes)
        expected = f"a URL starting with {starts} (for example {example})"
        raise SettingError(name, redact(raw), expected)
    return raw


# --- EMAIL_URL ----------------------------------------------------------------------------

EMAIL_SCHEMES = ("console", "locmem", "dummy", "file", "smtp", "smtps")
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}


def email_settings(name: str = "EMAIL_URL", default: str = "console://") -> dict[str, Any]:
    """Django's EMAIL_* settings from one URL.

        console://                              print each email (development)
        locmem://                               keep them in django.core.mail.outbox (tests)
        file:///var/mail/books                  one file per email, in that folder
        smtp://user:pass@mail.example.org:587   SMTP with STARTTLS (port 587, the default)
        smtp://mail.example.org:25?tls=false    plain SMTP (a local relay)
        smtps://user:pass@mail.example.org:465  SMTP over TLS (port 465, the default)

    User and password are percent-decoded (`p%40ss` is `p@ss`).
    """
    example = "smtp://user:pass@mail.example.org:587"
    raw = url(name, schemes=EMAIL_SCHEMES, example=example) or default
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    config: dict[str, Any] = {"EMAIL_BACKEND": _EMAIL_BACKENDS[scheme]}
    if scheme == "file":
        if not parts.path:
            raise SettingError(name, raw, "file:///an/absolute/folder")
        config["EMAIL_FILE_PATH"] = unquote(parts.path)
    if scheme in ("smtp", "smtps"):
        try:
            port = parts.port
        except ValueError:
            port = -1
        if not parts.hostname or port == -1:
            raise SettingError(
                name, redact(raw), "smtp://user:pass@host:port with a host and a valid port"
            )
        use_ssl = scheme == "smtps"
        use_tls = not use_ssl and "tls=false" not in parts.query.lower()
        config.update(
            EMAIL_HOST=parts.hostname,
            EMAIL_PORT=port or (465 if use_ssl else 587),
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_TLS=use_tls,
            EMAIL_USE_SSL=use_ssl,
        )
    return config
