"""`manage.py seed_demo [--reset]`: demo users and a few hundred real books, once.

Users: `admin` (role admin, staff, superuser), `alice` and `bob` (role user),
with the passwords printed below; the books come from books/data/books.csv
(title, author, year, ISBN-13), the first ~300 rows of goodbooks-10k's
books.csv (github.com/zygmuntz/goodbooks-10k, CC BY-SA 4.0, so this file is
too): its `isbn` column (ISBN-10, leading zeros lost to a spreadsheet) padded
back, check digit verified, converted to ISBN-13; first listed author only;
rows without an ISBN or with a year before 1450 left out.

Created once, never reset silently: `python3 dev.py serve` runs this at
every start, and a developer who changed alice's password or edited a demo
book must find them as they left them. So a plain run only creates what is
missing (users matched by username, books by ISBN) and says which demo users
no longer have their demo password. `--reset` is the deliberate way back:
demo users get their demo password, role and flags again (and so lose their
logins), demo books their original values.

Books are saved one by one through the ORM, so the cache signals bump the
version (bulk_create would not send them).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django.db import transaction

from books.models import Book
from books.rules import validate_book

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "books.csv"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    is_staff: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


# Demo credentials, printed on purpose: this command is for development.
DEMO_USERS = (
    DemoUser("admin", "Shelf-Keeper-4821", "admin", is_staff=True),
    DemoUser("alice", "Looking-Glass-7316", "user"),
    DemoUser("bob", "Builder-Blue-5902", "user"),
)


class Command(BaseCommand):
    help = (
        "Create the demo users (admin, alice, bob) and books/data/books.csv's books, "
        "leaving existing ones as they are (--reset restores them)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore the demo users (password, role, flags) and the demo books' values.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reset = bool(options["reset"])
        with transaction.atomic():
            users = {demo.username: self._user(demo, reset=reset) for demo in DEMO_USERS}
            created, updated, unchanged = self._books(owner=users["admin"], reset=reset)
        kept = "unchanged" if reset else "already there, left as they are"
        self.stdout.write(f"Books: {created} created, {updated} updated, {unchanged} {kept}.")
        self.stdout.write("Demo users (username / password / role):")
        for demo in DEMO_USERS:
            user = users[demo.username]
            note = "" if user.check_password(demo.password) else (
                "  (password changed since; `manage.py seed_demo --reset` restores it)"
            )
            self.stdout.write(f"  {demo.username:6} {demo.password:20} {demo.role}{note}")

    def _user(self, demo: DemoUser, *, reset: bool) -> Any:
        User = get_user_model()
        user = User.objects.filter(username=demo.username).first()
        if user is not None and not reset:
            return user  # created once: never changed behind the developer's back
        wanted = {
            "email": demo.email,
            "role": demo.role,
            "is_staff": demo.is_staff,
            "is_superuser": demo.is_staff,
            "is_active": True,
        }
        if user is None:
            user = User(username=demo.username, **wanted)
        changed = user.pk is None
        for field, value in wanted.items():
            if getattr(user, field) != value:
                setattr(user, field, value)
                changed = True
        # Hashes are salted: set the password only when it doesn't match,
        # or every run would rewrite the row.
        if not user.has_usable_password() or not user.check_password(demo.password):
            validate_password(demo.password, user)
            user.set_password(demo.password)
            changed = True
        if changed:
            user.save()
        return user

    def _books(self, *, owner: Any, reset: bool) -> tuple[int, int, int]:
        created = updated = unchanged = 0
        existing = {book.isbn: book for book in Book.objects.exclude(isbn=None)}
        with DATA_FILE.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                values = validate_book(
                    {"title": row["title"], "author": row["author"],
                     "year": int(row["year"]), "isbn": row["isbn"]},
                    partial=True,
                )
                book = existing.get(values["isbn"])
                if book is None:
                    book = Book.objects.create(**values, created_by=owner)
                    existing[book.isbn] = book
                    created += 1
                elif reset and any(
                    getattr(book, field) != value for field, value in values.items()
                ):
                    for field, value in values.items():
                        setattr(book, field, value)
                    book.save()
                    updated += 1
                else:
                    unchanged += 1
        return created, updated, unchanged
