"""Fixtures for the accounts tests: users, and a stopped clock that tests move."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role, User

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


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """The wall clock, stopped at the real time; `clock.shift(timedelta)` moves it.

    time-machine replaces the clock itself (datetime.now, time.time), so
    Django's timezone.now, simplejwt's aware_utcnow and PyJWT's own expiry
    check all see the same moved time: nothing in the code under test is
    patched.
    """
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller
