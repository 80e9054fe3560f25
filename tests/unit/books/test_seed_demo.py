"""manage.py seed_demo: users and books, idempotently."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from books.management.commands.seed_demo import DATA_FILE, DEMO_USERS
from books.models import Book
from books.rules import YEAR_MIN, normalize_isbn, year_max

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_data_file_is_valid() -> None:
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 250
    isbns = [row["isbn"] for row in rows]
    assert len(set(isbns)) == len(isbns)
    for row in rows:
        assert normalize_isbn(row["isbn"]) == row["isbn"]
        assert YEAR_MIN <= int(row["year"]) <= year_max()
        assert row["title"].strip() and row["author"].strip()


def test_seed_then_reseed_changes_nothing() -> None:
    output = run()
    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.role == "admin" and admin.is_staff and admin.is_superuser
    assert {u.username: u.role for u in User.objects.all()} == {
        "admin": "admin", "alice": "user", "bob": "user"
    }
    for demo in DEMO_USERS:
        assert User.objects.get(username=demo.username).check_password(demo.password)
        assert demo.password in output  # printed for the developer
    count = Book.objects.count()
    assert count >= 250 and not Book.objects.exclude(created_by=admin).exists()

    snapshot_users = list(User.objects.values_list("id", "password", "email", "role"))
    snapshot_books = list(Book.objects.values_list("id", "isbn", "title", "updated_at"))
    second = run()
    assert f"0 created, 0 updated, {count} already there" in second
    assert list(User.objects.values_list("id", "password", "email", "role")) == snapshot_users
    assert list(Book.objects.values_list("id", "isbn", "title", "updated_at")) == snapshot_books


def test_reseed_leaves_changes_alone_and_says_so() -> None:
    run()
    book = Book.objects.order_by("id").first()
    book.title = "Renamed on purpose"
    book.save()
    user = get_user_model().objects.get(username="alice")
    user.set_password("something-else-entirely-9")
    user.role = "admin"
    user.save()
    output = run()
    assert "0 created, 0 updated" in output
    assert "password changed since" in output and "--reset" in output
    book.refresh_from_db()
    user.refresh_from_db()
    assert book.title == "Renamed on purpose"
    assert user.check_password("something-else-entirely-9") and user.role == "admin"


def test_reset_restores_users_and_books() -> None:
    run()
    book = Book.objects.order_by("id").first()
    original = book.title
    book.title = "Vandalised"
    book.save()
    user = get_user_model().objects.get(username="alice")
    user.set_password("something-else-entirely-9")
    user.role = "admin"
    user.save()
    output = run("--reset")
    assert "0 created, 1 updated" in output and "password changed since" not in output
    book.refresh_from_db()
    user.refresh_from_db()
    assert book.title == original
    assert user.check_password(DEMO_USERS[1].password) and user.role == "user"


def test_a_deleted_demo_user_is_created_again() -> None:
    run()
    get_user_model().objects.filter(username="bob").delete()
    run()
    assert get_user_model().objects.get(username="bob").check_password(DEMO_USERS[2].password)
