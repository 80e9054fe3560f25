"""Value rules for a book: the one place that says what a valid book is.

The frameworks' schemas (DRF serializers, Pydantic models) only check that a
field is present and has the right JSON type; everything about *values*
(lengths, the year range, the ISBN check digit) is decided here, with these
messages, so all three APIs answer the same 422 body. Single-value checks
raise `FieldInvalid`; `validate_book` collects them into one
`ValidationFailed` whose details always come in the order
title, author, year, isbn, description.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone

# The numbers live in common.constraints, shared with the OpenAPI documents.
from common.constraints import AUTHOR_MAX, DESCRIPTION_MAX, TITLE_MAX, YEAR_MIN, year_max_on
from common.errors import MSG_BLANK, MSG_REQUIRED, FieldError, FieldInvalid, ValidationFailed
from common.text import reject_nul

# Field order of `details`; also the order the contract lists the fields in.
BOOK_FIELDS = ("title", "author", "year", "isbn", "description")
REQUIRED_FIELDS = ("title", "author", "year")

# Messages are constants: tests and every framework share one wording.
# MSG_REQUIRED and MSG_BLANK are DRF's (common.errors), so generic and domain
# messages read alike.
MSG_TOO_LONG = "Ensure this field has no more than {max} characters."
MSG_YEAR_RANGE = "Ensure the year is between {min} and {max}."
MSG_ISBN_FORMAT = "Enter a valid ISBN-10 or ISBN-13 (digits, optionally with hyphens or spaces)."
MSG_ISBN_CHECK_DIGIT = "The ISBN check digit is wrong."
MSG_ISBN_PREFIX = "An ISBN-13 starts with 978 or 979."


def _today() -> date:
    # Used for mocking in tests: the upper year bound moves every New Year.
    return timezone.now().date()


def year_max() -> int:
    """Next year, today (the rule is common.constraints.year_max_on)."""
    return year_max_on(_today())


# --- ISBN ------------------------------------------------------------------------


def _isbn10_check_digit(first9: str) -> str:
    # Weights 10..2; the check digit makes the weighted sum divisible by 11,
    # and "X" stands for 10.
    total = sum((10 - i) * int(digit) for i, digit in enumerate(first9))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check_digit(first12: str) -> str:
    # Weights alternate 1, 3; the check digit rounds the sum up to a multiple of 10.
    total = sum((3 if i % 2 else 1) * int(digit) for i, digit in enumerate(first12))
    return str((10 - total % 10) % 10)


def normalize_isbn(raw: str) -> str:
    """An ISBN-10 or ISBN-13, as typed by a person, to its canonical ISBN-13.

    Hyphens and spaces are ignored ("0-306-40615-2", "978 0 306 40615 7"); the
    check digit is verified; ISBN-10s are converted (prefix 978, new check
    digit), so each book has one spelling and the unique index catches
    duplicates entered in either form.

    :raise FieldInvalid: not 10/13 characters of the right kind, a wrong check
        digit, or an ISBN-13 outside the 978/979 "Bookland" prefixes.
    """
    compact = raw.replace("-", "").replace(" ", "").upper()
    if len(compact) == 10 and compact[:9].isdigit() and (compact[9].isdigit() or compact[9] == "X"):
        if _isbn10_check_digit(compact[:9]) != compact[9]:
            raise FieldInvalid(MSG_ISBN_CHECK_DIGIT)
        first12 = "978" + compact[:9]
        return first12 + _isbn13_check_digit(first12)
    # isdecimal, not isdigit: "²" is a digit to Python but not to int().
    if len(compact) == 13 and compact.isascii() and compact.isdecimal():
        if not compact.startswith(("978", "979")):
            raise FieldInvalid(MSG_ISBN_PREFIX)
        if _isbn13_check_digit(compact[:12]) != compact[12]:
            raise FieldInvalid(MSG_ISBN_CHECK_DIGIT)
        return compact
    raise FieldInvalid(MSG_ISBN_FORMAT)


# --- Single fields ---------------------------------------------------------------


def _check_no_null_characters(value: str) -> None:
    # PostgreSQL text cannot hold NUL; refuse it here rather than fail in SQL.
    reject_nul(value)


def clean_title(value: str) -> str:
    """Trimmed title, 1..TITLE_MAX characters."""
    return _clean_line(value, TITLE_MAX)


def clean_author(value: str) -> str:
    """Trimmed author, 1..AUTHOR_MAX characters."""
    return _clean_line(value, AUTHOR_MAX)


def _clean_line(value: str, max_length: int) -> str:
    _check_no_null_characters(value)
    # The length as sent, before trimming: what the OpenAPI documents'
    # maxLength says, so a client validating against them is never surprised.
    if len(value) > max_length:
        raise FieldInvalid(MSG_TOO_LONG.format(max=max_length))
    cleaned = value.strip()
    if not cleaned:
        raise FieldInvalid(MSG_BLANK)
    return cleaned


def clean_year(value: int) -> int:
    """YEAR_MIN..year_max(), both inclusive."""
    upper = year_max()
    if not YEAR_MIN <= value <= upper:
        raise FieldInvalid(MSG_YEAR_RANGE.format(min=YEAR_MIN, max=upper))
    return value


def clean_isbn(value: str | None) -> str | None:
    """None or blank means "no ISBN" (stored as NULL); anything else must be valid."""
    if value is None or not value.strip():
        return None
    _check_no_null_characters(value)
    return normalize_isbn(value)


def clean_description(value: str | None) -> str:
    """Optional free text; None means empty. Kept as typed (no trimming)."""
    if value is None:
        return ""
    _check_no_null_characters(value)
    if len(value) > DESCRIPTION_MAX:
        raise FieldInvalid(MSG_TOO_LONG.format(max=DESCRIPTION_MAX))
    return value


_CLEANERS = {
    "title": clean_title,
    "author": clean_author,
    "year": clean_year,
    "isbn": clean_isbn,
    "description": clean_description,
}
# What a full replace (PUT) or a create stores for an optional field left out.
_DEFAULTS: dict[str, Any] = {"isbn": None, "description": ""}


# --- The whole book ----------------------------------------------------------------


def validate_book(values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check and normalise the book fields present in `values`.

    `partial=False` (create, PUT): title, author and year must be present, and
    missing optional fields get their defaults, so a PUT really replaces.
    `partial=True` (PATCH): only the given fields are checked and returned.
    Keys that are not book fields are ignored.

    :raise ValidationFailed: one FieldError per bad field, in BOOK_FIELDS order.
    """
    cleaned: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in BOOK_FIELDS:
        if field not in values:
            if partial:
                continue
            if field in REQUIRED_FIELDS:
                errors.append(FieldError(field, MSG_REQUIRED))
            else:
                cleaned[field] = _DEFAULTS[field]
            continue
        try:
            cleaned[field] = _CLEANERS[field](values[field])
        except FieldInvalid as exc:
            errors.append(FieldError(field, exc.message))
    if errors:
        raise ValidationFailed(errors)
    return cleaned
