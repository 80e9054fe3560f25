"""The one rule every text value obeys before it goes anywhere near the database.

PostgreSQL's text type cannot hold NUL (psycopg refuses it on insert and
even in a WHERE clause), and SQLite would store it silently: refusing it in
the domain gives every backend and every prefix the same 422, with
Django's own wording (`ProhibitNullCharactersValidator`).
"""

from __future__ import annotations

from common.errors import FieldInvalid

MSG_NULL_CHARACTERS = "Null characters are not allowed."


def reject_nul(value: str) -> None:
    """:raise FieldInvalid: `value` contains a NUL character."""
    if "\x00" in value:
        raise FieldInvalid(MSG_NULL_CHARACTERS)
