"""Fixtures shared by every test: a fast password hasher and a clean cache."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Argon2 costs ~0.15 s a check; tests use MD5 except where they opt out.

    tests/unit/accounts has one test that runs the real Argon2 path.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def clean_cache():
    """Each test starts with an empty cache: no versions, counters or lockouts."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A test database of this process's own, so two pytest runs never share one.

    Two runs on one SQLite test file end in "disk I/O error" when one of them
    deletes it; on PostgreSQL they would drop each other's database.
    """
    from pytest_django.fixtures import _set_suffix_to_test_databases

    _set_suffix_to_test_databases(f"run{os.getpid()}")
