"""Fixtures shared by every test: a fast password hasher and a clean cache."""

from __future__ import annotations

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
