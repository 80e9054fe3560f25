"""Fixtures for the books tests: three users and a book factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from books.models import Book


def _user(username: str, *, role: str = "user") -> Any:
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password="x-Unused-pass-1", role=role
    )


@pytest.fixture
def alice(db: None) -> Any:
    return _user("alice")


@pytest.fixture
def bob(db: None) -> Any:
    return _user("bob")


@pytest.fixture
def admin_user(db: None) -> Any:
    return _user("root", role="admin")


@pytest.fixture
def make_book(alice: Any) -> Callable[..., Book]:
    """Book rows straight through the ORM (no service): for read-side tests."""

    def make(**fields: Any) -> Book:
        values: dict[str, Any] = {"title": "Untitled", "author": "Anon", "year": 2000,
                                  "created_by": alice}
        values.update(fields)
        return Book.objects.create(**values)

    return make
