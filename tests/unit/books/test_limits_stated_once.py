"""Every limit is stated once (common/constraints.py), and the table agrees with it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DataError

from books import services
from books.models import Book
from common.constraints import AUTHOR_MAX, TITLE_MAX
from common.errors import ValidationFailed


def test_the_model_reads_its_lengths_from_the_constraints() -> None:
    assert Book._meta.get_field("title").max_length == TITLE_MAX
    assert Book._meta.get_field("author").max_length == AUTHOR_MAX


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration() -> None:
    """Raising TITLE_MAX alone would show here: the column needs a migration."""
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exc:  # --check exits 1 when a migration is missing
        pytest.fail(f"a model change has no migration (exit {exc.code}):\n{out.getvalue()}")


@pytest.mark.django_db
def test_a_value_the_column_refuses_is_a_422_on_that_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL's 'value too long' (DataError) reaches the client as 422, never 500."""

    def refuse(self: Book, *args: object, **kwargs: object) -> None:
        raise DataError("value too long for type character varying(200)")

    monkeypatch.setattr(Book, "save", refuse)
    book = Book(title="t" * (TITLE_MAX + 1), author="a", year=2000)
    with pytest.raises(ValidationFailed) as caught:
        services._save(book)
    assert [d.field for d in caught.value.details] == ["title"]


@pytest.mark.django_db
def test_another_data_error_is_not_disguised_as_a_validation_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: Book, *args: object, **kwargs: object) -> None:
        raise DataError("numeric field overflow")

    monkeypatch.setattr(Book, "save", refuse)
    with pytest.raises(DataError):
        services._save(Book(title="t", author="a", year=2000))
