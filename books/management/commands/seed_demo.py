"""`manage.py seed_demo`: demo users and a few hundred real books, idempotently.

Users: `admin` (role admin, staff, superuser), `alice` and `bob` (role user),
with the passwords printed below; the books come from books/data/books.csv
(title, author, year, ISBN-13), the first ~300 rows of goodbooks-10k's
books.csv (github.com/zygmuntz/goodbooks-10k, CC BY-SA 4.0, so this file is
too): its `isbn` column (ISBN-10, leading zeros lost to a spreadsheet) padded
back, check digit verified, converted to ISBN-13; first listed author only;
rows without an ISBN or with a year before 1450 left out.

Running it twice changes nothing: users are matched by username, books by
ISBN, and a row is written only when a value differs. Books are saved one by
one through the ORM, so the cache signals bump the version (bulk_create
would not send them).
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
    help = "Create the demo users (admin, alice, bob) and load books/data/books.csv."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            users = {demo.username: self._user(demo) for demo in DEMO_USERS}
            created, updated, unchanged = self._books(owner=users["admin"])
        self.stdout.write(
            f"Books: {created} created, {updated} updated, {unchanged} unchanged."
        )
        self.stdout.write("Demo users (username / password / role):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.username:6} {demo.password:20} {demo.role}")

    def _user(self, demo: DemoUser) -> Any:
        User = get_user_model()
        user = User.objects.filter(username=demo.username).first()
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

    def _books(self, *, owner: Any) -> tuple[int, int, int]:
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
                elif any(getattr(book, field) != value for field, value in values.items()):
                    for field, value in values.items():
                        setattr(book, field, value)
                    book.save()
                    updated += 1
                else:
                    unchanged += 1
        return created, updated, unchanged
