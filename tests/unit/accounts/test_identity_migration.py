"""The canonical columns' migration, run for real: it fills old rows and stops on collisions.

The database is moved back to the state before the columns were filled
(accounts 0002), rows are written as the old code could write them, and the
migration is run forward with Django's MigrationExecutor, on whichever
backend the test run uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.identity import canonical

BEFORE = [("accounts", "0002_user_canonical_columns")]
FILL = [("accounts", "0003_fill_canonical_columns")]


def _executor() -> MigrationExecutor:
    return MigrationExecutor(connection)


def _latest() -> list[tuple[str, str]]:
    executor = _executor()
    return [key for key in executor.loader.graph.leaf_nodes() if key[0] == "accounts"]


@pytest.fixture
def old_user_model(transactional_db: None) -> Iterator[Any]:
    """The User model as it was before 0003, on a database migrated back to it."""
    executor = _executor()
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    model = apps.get_model("accounts", "User")
    try:
        yield model
    finally:
        model.objects.all().delete()
        _executor().migrate(_latest())


def _old_row(model: Any, username: str, email: str) -> int:
    # What the old code could store: nothing in the canonical columns.
    return model.objects.create(username=username, email=email, password="!").pk


def test_collisions_stop_the_migration_naming_the_rows(old_user_model: Any) -> None:
    """Rows the old LOWER() constraints let in on both backends, one name in canonical form."""
    module = importlib.import_module("accounts.migrations.0003_fill_canonical_columns")
    german = _old_row(old_user_model, "straße-fan", "a@example.com")
    ascii_ = _old_row(old_user_model, "strasse-fan", "b@example.com")
    first = _old_row(old_user_model, "mail-one", "x@ﬁsh.example")  # U+FB01, the fi ligature
    second = _old_row(old_user_model, "mail-two", "x@fish.example")
    _old_row(old_user_model, "innocent", "c@example.com")

    with pytest.raises(module.CanonicalCollision) as stopped:
        _executor().migrate(FILL)
    message = str(stopped.value)
    assert f"username 'strasse-fan': 'straße-fan' (id {german}), 'strasse-fan' (id {ascii_})" in (
        message
    )
    assert (
        f"email 'x@fish.example': 'x@ﬁsh.example' (id {first}), 'x@fish.example' (id {second})"
        in message
    )
    assert "innocent" not in message and "c@example.com" not in message
    # Nothing was written: the migration is not applied, the columns are still empty.
    assert not old_user_model.objects.filter(username_canonical__isnull=False).exists()

    # Once a human renamed the duplicates, it goes through.
    old_user_model.objects.filter(pk=ascii_).update(username="strasse-fan-2")
    old_user_model.objects.filter(pk=second).update(email="y@fish.example")
    _executor().migrate(_latest())
    from accounts.models import User

    filled = dict(User.objects.values_list("username", "username_canonical"))
    assert filled["straße-fan"] == "strasse-fan"
    assert all(value == canonical(name) for name, value in filled.items())
    assert User.objects.get(pk=first).email_canonical == "x@fish.example"


def test_the_migration_fills_every_row(old_user_model: Any) -> None:
    pk = _old_row(old_user_model, "Élodie", "Elodie@Example.COM")
    _executor().migrate(_latest())
    from accounts.models import User

    user = User.objects.get(pk=pk)
    assert (user.username_canonical, user.email_canonical) == ("élodie", "elodie@example.com")
