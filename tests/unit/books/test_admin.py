"""The Book admin applies the same rules as the API, and invalidates the cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from books.models import Book

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(admin_user: Any) -> Client:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client


def test_add_normalises_and_defaults_creator(staff_client: Client, admin_user: Any) -> None:
    response = staff_client.post("/admin/books/book/add/", {
        "title": "  Dune ", "author": "Frank Herbert", "year": "1965",
        "isbn": "978-0-441-17271-9", "description": "",
    })
    assert response.status_code == 302, response.content[:2000]
    book = Book.objects.get()
    assert (book.title, book.isbn, book.created_by_id) == ("Dune", "9780441172719", admin_user.pk)


def test_add_shows_rule_messages(staff_client: Client) -> None:
    response = staff_client.post("/admin/books/book/add/", {
        "title": "Dune", "author": "Frank Herbert", "year": "1200", "isbn": "0441172718",
    })
    assert response.status_code == 200
    content = response.content.decode()
    assert "The ISBN check digit is wrong." in content
    assert "Ensure the year is between 1450" in content
    assert not Book.objects.exists()


def test_changelist_and_search(staff_client: Client, make_book: Any) -> None:
    make_book(title="Dune", isbn="9780441172719")
    response = staff_client.get("/admin/books/book/", {"q": "978044117"})
    assert response.status_code == 200 and "Dune" in response.content.decode()
