"""The flush between transactional tests (tests/support/fast_flush.py) empties what tests wrote."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from books.models import Book


@pytest.mark.django_db(transaction=True)
def test_the_flush_empties_every_table_but_the_two_post_migrate_writes_back() -> None:
    # A book referencing its user: the DELETEs run in any order, the key is checked at commit.
    owner = User.objects.create_user(username="flushed", password="pw-for-the-flush-test")
    Book.objects.create(title="Flushed", author="Nobody", year=2000, created_by=owner)
    content_types = ContentType.objects.count()
    permissions = Permission.objects.count()

    # What TransactionTestCase runs after each test.
    with CaptureQueriesContext(connection) as queries:
        call_command("flush", verbosity=0, interactive=False, reset_sequences=False)

    assert User.objects.count() == 0 and Book.objects.count() == 0
    assert ContentType.objects.count() == content_types
    assert Permission.objects.count() == permissions
    statements = " ".join(query["sql"] for query in queries.captured_queries)
    assert "TRUNCATE" not in statements
    assert not any(query["sql"].startswith("INSERT") for query in queries.captured_queries)
