"""`manage.py createsuperuser`, with usernames and emails unique in canonical form.

Django's command checks the username through `get_by_natural_key`, which
`accounts.models.AccountManager` makes a canonical lookup: "ALICE" is taken
when "alice" exists, with Django's own message. It checks the email not at
all, so an email that differs only in case, or in a compatibility form,
reached the database's unique constraint and ended in an IntegrityError
traceback. Here the same cases are a clean error: asked again in
interactive mode, a CommandError with --noinput. "Same" is the canonical
form of accounts.identity (NFKC, then case-folded), as everywhere else.
"""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.management.commands import createsuperuser
from django.core.management.base import CommandError
from django.db import IntegrityError

from accounts.services import MSG_EMAIL_TAKEN, email_taken


class Command(createsuperuser.Command):
    def get_input_data(self, field: Any, message: str, default: Any = None) -> Any:
        value = super().get_input_data(field, message, default)
        if field.name == "email" and value and email_taken(value):
            self.stderr.write(f"Error: {MSG_EMAIL_TAKEN}")
            return None  # asked again
        return value

    def handle(self, *args: Any, **options: Any) -> None:
        email = options.get("email") or (
            None if options["interactive"] else os.environ.get("DJANGO_SUPERUSER_EMAIL")
        )
        if email and email_taken(email):
            raise CommandError(MSG_EMAIL_TAKEN)
        try:
            super().handle(*args, **options)
        except IntegrityError:
            # Someone took the name or address between the check and the INSERT.
            raise CommandError(
                "A user with that username or email already exists (letter case aside)."
            ) from None
