"""Fixtures shared by every test: a fast password hasher, a clean cache, a cheap flush."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(scope="session", autouse=True)
def private_cache_directory() -> Iterator[None]:
    """Remove this run's embedded cache directory (settings: .cache/test-<pid>) at the end.

    Only the directory settings made up for this process: a CACHE_DIR given
    in the environment belongs to whoever set it.
    """
    yield
    from django.conf import settings

    cache_dir = getattr(settings, "CACHE_DIR", None)
    if cache_dir is not None and cache_dir.name == f"test-{os.getpid()}":
        shutil.rmtree(cache_dir, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def cheaper_flush() -> None:
    """Transactional tests empty the tables for a fraction of the cost (fast_flush.py)."""
    from tests.support.fast_flush import use_cheaper_flush

    use_cheaper_flush()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """A test database of this process's own, so two pytest runs never share one.

    Two runs on one SQLite test file end in "disk I/O error" when one of them
    deletes it; on PostgreSQL they would drop each other's database.
    """
    from pytest_django.fixtures import _set_suffix_to_test_databases

    _set_suffix_to_test_databases(f"run{os.getpid()}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database; before it is dropped, the sessions threads still hold end.

    A worker thread of a2wsgi or of FastAPI's pool that served the last
    request of a test may keep its pooled PostgreSQL connection; Django's
    teardown closes the pool's idle connections only, and DROP DATABASE then
    fails ("being accessed by other users"), leaving a test database behind
    on the server after every run.
    """
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
