"""Text rules shared by every app: no NUL before the database, one canonical form of a name.

PostgreSQL's text type cannot hold NUL (psycopg refuses it on insert and
even in a WHERE clause), and SQLite would store it silently: refusing it in
the domain gives every backend and every prefix the same 422, with
Django's own wording (`ProhibitNullCharactersValidator`).
"""

from __future__ import annotations

import unicodedata

from common.errors import FieldInvalid

MSG_NULL_CHARACTERS = "Null characters are not allowed."


def reject_nul(value: str) -> None:
    """:raise FieldInvalid: `value` contains a NUL character."""
    if "\x00" in value:
        raise FieldInvalid(MSG_NULL_CHARACTERS)


def canonical(text: str) -> str:
    """NFKC, then case-folded: the form under which two names are the same name.

    Why this form, and where it is stored: accounts/identity.py. It lives
    here because the brute-force counters (throttling.lockout) fold names
    the same way, and throttling must not import accounts (which imports it).
    """
    return unicodedata.normalize("NFKC", text).casefold()
