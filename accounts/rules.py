"""Value rules for user fields: one function per field, one wording everywhere.

Schemas (DRF serializers, Pydantic models) only check that a field is there
and is a string; these functions check the value. Each raises
`FieldInvalid(message)` for the first problem it finds; the services collect
them into one `ValidationFailed`, in a fixed field order, so DRF and FastAPI
answer byte-identical 422 bodies.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# The numbers live in common.constraints, shared with the OpenAPI documents.
from accounts.identity import email_fits, stored_email, username_fits
from common.constraints import EMAIL_MAX, USERNAME_MAX, USERNAME_MIN
from common.errors import MSG_BLANK, MSG_INVALID_CHOICE, FieldInvalid
from common.text import reject_nul

if TYPE_CHECKING:
    from accounts.models import User


MSG_TOO_SHORT = "Ensure this field has at least {n} characters."
MSG_TOO_LONG = "Ensure this field has no more than {n} characters."
MSG_USERNAME_CHARS = (
    "Enter a valid username. This value may contain only letters, "
    "numbers, and @/./+/-/_ characters."
)
MSG_EMAIL_INVALID = "Enter a valid email address."

# Django's UnicodeUsernameValidator pattern: \w is Unicode-aware in Python 3,
# so "José" is a valid username, as it is in Django's own forms.
_USERNAME_RE = re.compile(r"^[\w.@+-]+\Z")


def clean_username(value: str) -> str:
    """3–150 characters of letters, digits and @ . + - _ (no spaces, no trimming)."""
    if value == "":
        raise FieldInvalid(MSG_BLANK)
    reject_nul(value)
    if len(value) < USERNAME_MIN:
        raise FieldInvalid(MSG_TOO_SHORT.format(n=USERNAME_MIN))
    if len(value) > USERNAME_MAX:
        raise FieldInvalid(MSG_TOO_LONG.format(n=USERNAME_MAX))
    if not _USERNAME_RE.match(value):
        raise FieldInvalid(MSG_USERNAME_CHARS)
    # Some letters grow when normalized (`ﬃ` is three letters, one Arabic
    # ligature eighteen): a name whose stored form would not fit its column
    # is "too long", not a database error.
    if not username_fits(value):
        raise FieldInvalid(MSG_TOO_LONG.format(n=USERNAME_MAX))
    return value


def clean_email(value: str) -> str:
    """A syntactically valid address; the domain part is lower-cased.

    Only the domain is normalised (as Django's `normalize_email` does): the
    local part is case-sensitive by RFC 5321, even if few servers care.
    Uniqueness compares the canonical form anyway (accounts.identity).
    """
    if value == "":
        raise FieldInvalid(MSG_BLANK)
    reject_nul(value)
    if len(value) > EMAIL_MAX:
        raise FieldInvalid(MSG_TOO_LONG.format(n=EMAIL_MAX))
    try:
        validate_email(value)
    except ValidationError as exc:
        raise FieldInvalid(MSG_EMAIL_INVALID) from exc
    if not email_fits(value):
        raise FieldInvalid(MSG_TOO_LONG.format(n=EMAIL_MAX))
    return stored_email(value)


def check_password(password: str, user: User | None = None) -> None:
    """Run Django's AUTH_PASSWORD_VALIDATORS; all their messages, joined by a space.

    `user` lets UserAttributeSimilarityValidator refuse a password that looks
    like the username or email; pass an unsaved User at registration.
    """
    if password == "":
        raise FieldInvalid(MSG_BLANK)
    reject_nul(password)
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise FieldInvalid(" ".join(exc.messages)) from exc


def clean_role(value: str) -> str:
    """One of the Role values; the wording is DRF's ChoiceField message."""
    from accounts.models import Role  # local import: rules stay importable without apps

    if value not in Role.values:
        raise FieldInvalid(MSG_INVALID_CHOICE.format(input=value))
    return value
