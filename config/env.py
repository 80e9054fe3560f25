"""Environment variables, read through environs: typed, range-checked, one line on error.

    DEBUG = env.flag("DEBUG", False)
    RATE_LIMIT_ANON = env.rate("RATE_LIMIT_ANON", "100/minute")
    MAX_BODY_BYTES = env.integer("MAX_BODY_BYTES", 1_048_576, minimum=1)

Why environs: it parses and validates with marshmallow (a bad boolean, a
word where a number belongs, a number out of range are errors, never a quiet
default), reads the `.env` file, and lets the project add parsers of its own
(`rate`, `flag`) that fail the same way. django-environ was the other
candidate; its booleans read any unknown word as false (`DEBUG=maybe` would
start with DEBUG off), which is the very slip this module exists to stop.

A value that cannot work stops the process at start (uvicorn, every
`manage.py` command, `dev.py`) with a `SettingError` whose message is one
line: the variable, its value (passwords masked) and what is expected. The
entry points print that line and exit, with no traceback
(`config.env.exit_on_setting_error`).

A variable set to an empty string counts as unset: a blank line in a `.env`
file or `FOO=` in a compose file means "the default", as people expect.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from environs import Env, EnvError
from marshmallow import ValidationError, fields
from marshmallow.validate import OneOf, Range

RATE_FORMAT = "N/second, N/minute, N/hour or N/day (for example 100/minute)"
FLAG_WORDS = "true/false, 1/0, yes/no or on/off"

T = TypeVar("T")


class SettingError(ImproperlyConfigured):
    """A variable's value is unusable: its name, its value and what is expected."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        super().__init__(f"{name}={value!r} is invalid: expected {expected}.")
        self.name = name


_env = Env(eager=True, expand_vars=False)


@_env.parser_for("flag")
def _parse_flag(value: str) -> bool:
    """A boolean in any case; anything else is an error, never a quiet False."""
    words = fields.Boolean(truthy={"true", "1", "yes", "on"}, falsy={"false", "0", "no", "off"})
    return bool(words.deserialize(value.strip().lower()))


@_env.parser_for("rate")
def _parse_rate(value: str) -> str:
    # The limiter's own parser: "valid at start" and "valid at request time"
    # can never disagree.
    from throttling.rates import parse_rate  # pure; no app registry needed

    try:
        parse_rate(value)
    except ImproperlyConfigured as exc:
        raise EnvError(str(exc)) from None
    return value


def read_dotenv(path: Path) -> None:
    """Load a `.env` file into the values every reader below consults.

    environs keeps the file's values inside `_env` (it never writes
    `os.environ`), so every value is read through `_env`, which looks in the
    real environment first: a variable set there wins over the file.
    """
    if path.is_file():
        _env.read_env(str(path), recurse=False, override=False)


def _raw(name: str) -> str | None:
    """The variable's text from the real environment or the `.env` file; None when blank."""
    value: str | None = _env.str(name, None)
    return None if value is None or value.strip() == "" else value.strip()


@contextmanager
def _checked(name: str, raw: str, expected: str) -> Iterator[None]:
    """Turn environs' error for `name` into the project's one-line SettingError."""
    try:
        yield
    except (EnvError, ValidationError):
        raise SettingError(name, redact(raw), expected) from None


def _read(name: str, default: T, expected: str, parse: Callable[[], T]) -> T:
    raw = _raw(name)
    if raw is None:
        return default
    with _checked(name, raw, expected):
        return parse()


def flag(name: str, default: bool) -> bool:
    return _read(name, default, FLAG_WORDS, lambda: _env.flag(name))  # type: ignore[attr-defined]


def text(name: str, default: str = "") -> str:
    return _raw(name) or default


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of `choices`, case-insensitive (LOG_FORMAT=JSON is json)."""
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.lower()
    with _checked(name, raw, "one of " + ", ".join(choices)):
        OneOf(choices)(value)
    return value


def integer(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    """A whole number within [minimum, maximum]."""
    expected = f"a whole number of at least {minimum}"
    if maximum is not None:
        expected = f"a whole number from {minimum} to {maximum}"
    return _read(
        name, default, expected, lambda: _env.int(name, validate=Range(min=minimum, max=maximum))
    )


def seconds(name: str, default: int) -> int:
    """A positive number of seconds (lifetimes, windows, timeouts)."""
    expected = "a whole number of seconds, at least 1 (for example 900)"
    return _read(name, default, expected, lambda: _env.int(name, validate=Range(min=1)))


def rate(name: str, default: str) -> str:
    """A rate string the limiter accepts: N/second|minute|hour|day, N >= 1."""
    return _read(name, default, RATE_FORMAT, lambda: _env.rate(name))  # type: ignore[attr-defined]


def items(name: str, default: list[str] | None = None) -> list[str]:
    """A comma list; blanks between commas are dropped."""
    raw = _raw(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def networks(name: str, default: list[str] | None = None) -> list[str]:
    """A comma list of IP addresses or CIDR networks (10.0.0.0/8, ::1)."""
    values = items(name, default)
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise SettingError(
                name, ",".join(values), "a comma list of IP addresses or networks (10.0.0.0/8)"
            ) from None
    return values


def redact(value: str) -> str:
    """A URL fit for an error message: its password replaced by `***`."""
    try:
        parts = urlsplit(value)
        password = parts.password
    except ValueError:
        return value
    if password is None:
        return value
    netloc = parts.netloc.replace(f":{password}@", ":***@", 1)
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

    User and password are percent-decoded (`p%40ss` is `p@ss`). The forms
    are this project's (STARTTLS unless `tls=false`), so the URL is split
    here rather than by a generic email-URL package.
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


# --- Entry points ------------------------------------------------------------------------


def exit_on_setting_error(start: Callable[[], T]) -> T:
    """Run `start` (django.setup, a command); a settings error ends the process in one line.

    Used by manage.py and config/asgi.py (so uvicorn too), so every entry
    point answers a bad variable the same way: `Configuration error: ...` on
    stderr, exit status 1, no traceback.
    """
    try:
        return start()
    except ImproperlyConfigured as exc:
        print(f"Configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
