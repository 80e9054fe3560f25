"""Fixtures for the accounts tests: users, and a movable clock for the token service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import Role, User
from accounts.tokens import token_service

PASSWORD = "Tr0mbone-Quartz-Lantern"
NEW_PASSWORD = "Velvet-Harbor-9-Compass"


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(username: str, *, role: str = Role.USER, **extra: object) -> User:
        return User.objects.create_user(
            username=username,
            email=f"{username}@example.com",
            password=PASSWORD,
            role=role,
            **extra,
        )

    return make


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., User]) -> User:
    return make_user("bob")


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user("root", role=Role.ADMIN)


class Clock:
    """Replaces `token_service._now`; starts at the real time and moves on demand."""

    def __init__(self) -> None:
        self.now: datetime = timezone.now()

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    fake = Clock()
    monkeypatch.setattr(token_service, "_now", lambda: fake.now)
    yield fake
