"""Trigram GIN indexes for `search` and `title_contains`, on PostgreSQL only.

Django's `icontains` is `UPPER(col) LIKE UPPER('%term%')` on PostgreSQL. A
leading-wildcard LIKE can't use a B-tree, so without these every search is a
sequential scan (~500 ms at a million rows, docs/measurements.md); a pg_trgm GIN index on
exactly that expression, UPPER(col), brings it to a few ms.

SQLite has no pg_trgm, and a small SQLite table scans fast anyway: there the
migration does nothing. On a large live table, build the indexes by hand
with CREATE INDEX CONCURRENTLY (not allowed inside a migration's transaction).
"""

from django.db import migrations

INDEXES = {
    "book_title_upper_trgm_idx": "title",
    "book_author_upper_trgm_idx": "author",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("books", "Book")._meta.db_table)
    # pg_trgm is a "trusted" extension (PostgreSQL 13+): the database owner may
    # create it without being a superuser.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {schema_editor.quote_name(name)} "
            f"ON {table} USING gin (UPPER({schema_editor.quote_name(column)}) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")
    # The extension stays: other tables may use it.


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
