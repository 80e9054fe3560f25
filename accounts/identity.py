"""The one canonical form of a username or an email address.

    canonical("Élodie") == canonical("ÉLODIE") == "élodie"
    canonical("ıvy") != canonical("ivy")     # dotless ı is its own letter

Everything that decides "is this the same name?" goes through `canonical`:
uniqueness (the `*_canonical` columns of `accounts.User`, under unique
constraints), the login lookup, the brute-force counters
(`throttling.lockout`) and the password-reset budget per address.

Why Python and not the database. The obvious tools, `username__iexact` and a
unique index on `LOWER(username)`, give each backend its own idea of "the same
name", and neither matches the lockout's:

- PostgreSQL's `iexact` compares `UPPER(a) = UPPER(b)`, and `UPPER('ı')` is
  `'I'`: the dotless `ıvy` found the account `ivy`, while the lockout (which
  case-folds in Python, where `'ı'.casefold()` stays `'ı'`) counted `ıvy` as
  a stranger with fresh counters. Five guesses per spelling, and every `i` in
  a name doubled the spellings.
- SQLite's `LOWER()` and `LIKE` fold ASCII only: `'É'` is not `'é'`, so
  `Élodie` and `élodie` registered as two accounts.

So the form is computed here, the same on every backend, stored next to the
value, and compared for equality (an ordinary index, no collation involved):
Unicode NFKC first (compatibility forms: the ligature `ﬁ` is `fi`, a
full-width `Ａ` is `A`), then `str.casefold()` (full case folding: `ß` is
`ss`, `Σ`/`ς`/`σ` are one). `casefold` is Python's tool for caseless
matching, and Django already NFKC-normalises usernames in its forms
(`AbstractBaseUser.normalize_username`).

Two spellings that fold differently are two names: `ıvy` is not `ivy` (it is
an unknown user, or someone else's account). Two that fold alike are one.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

from common.constraints import EMAIL_MAX, USERNAME_MAX
from common.text import canonical

__all__ = [
    "CANONICAL_MAX",
    "canonical",
    "email_fits",
    "stored_email",
    "stored_username",
    "username_fits",
    "validate_email_fits",
    "validate_username_fits",
]

# The canonical columns' length. A canonical form can be longer than the value
# (`ß` -> `ss`, and one Arabic ligature, U+FDFA, is 18 letters after NFKC):
# values whose form would not fit are refused as too long (see accounts.rules).
# 600 characters of at most 4 UTF-8 bytes stay under PostgreSQL's B-tree
# entry limit (about 2700 bytes), so the unique index never refuses a row.
CANONICAL_MAX = 600


# Django's MaxLengthValidator wording, so the API, the admin and
# createsuperuser say "too long" in one voice.
MSG_STORED_TOO_LONG = "Ensure this field has no more than {n} characters."


def stored_username(value: str) -> str:
    """The username as its column stores it: NFKC, as Django's `normalize_username`.

    It can be longer than the value typed (the ligature `ﬃ` is `ffi`, `¼` is
    `1⁄4`), so a length check on the value alone lets through names the
    column cannot hold.
    """
    return unicodedata.normalize("NFKC", value)


def stored_email(value: str) -> str:
    """The address as its column stores it: the domain lower-cased (Django's
    `normalize_email`); lower-casing can lengthen it too (`İ` is two letters)."""
    local, at, domain = value.rpartition("@")
    return f"{local}{at}{domain.lower()}" if at else value


def username_fits(value: str) -> bool:
    """Both stored forms of a username fit their columns."""
    return len(stored_username(value)) <= USERNAME_MAX and len(canonical(value)) <= CANONICAL_MAX


def email_fits(value: str) -> bool:
    """Both stored forms of an address fit their columns."""
    return len(stored_email(value)) <= EMAIL_MAX and len(canonical(value)) <= CANONICAL_MAX


def validate_username_fits(value: str) -> None:
    """A model-field validator (the admin's forms, `createsuperuser`): see username_fits."""
    if isinstance(value, str) and not username_fits(value):
        raise ValidationError(MSG_STORED_TOO_LONG.format(n=USERNAME_MAX), code="max_length")


def validate_email_fits(value: str) -> None:
    """A model-field validator (the admin's forms, `createsuperuser`): see email_fits."""
    if isinstance(value, str) and not email_fits(value):
        raise ValidationError(MSG_STORED_TOO_LONG.format(n=EMAIL_MAX), code="max_length")
