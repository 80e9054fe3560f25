"""Finer planner statistics for `search`, on PostgreSQL only (no index added).

The list endpoint has an index for every sort (0001: title, author, year,
created_at, each with id; the primary key for id; the B-tree scans backwards
for `:desc`, and a mixed `title:desc` + `id` tie-break is an Incremental
Sort over small groups) and for every filter (0001: UPPER(author) for
`author=`, (year, id) for `year_from`/`year_to`; 0002: trigram GINs for
`search`/`title_contains`). What was missing is good *estimates*: with the
default statistics PostgreSQL guessed 197 rows for `search=okafor`, which
matches 23,000 books, and chose a bitmap scan plus a sort of all 23,000
(~125 ms) over walking the id index and stopping at 20 (~5 ms).

The LIKE estimate for `UPPER(col) LIKE '%x%'` is made by applying the
pattern to the column's sampled histogram, so a larger sample estimates
better. UPPER(author) already has statistics (its B-tree expression index);
UPPER(title) gets them from an expression statistics object (PostgreSQL 14+).
Both are raised to STATISTICS_TARGET (default 100): ANALYZE then samples
300 x target rows, a few seconds on a million books. Takes effect at the
next ANALYZE (autovacuum, or `manage.py seed_books` which runs one).
"""

from django.db import migrations

STATISTICS_TARGET = 500
AUTHOR_INDEX = "book_author_upper_idx"
TITLE_STATISTICS = "book_title_upper_stats"


def raise_statistics(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    quote = schema_editor.quote_name
    table = quote(apps.get_model("books", "Book")._meta.db_table)
    schema_editor.execute(
        f"ALTER INDEX {quote(AUTHOR_INDEX)} ALTER COLUMN 1 SET STATISTICS {STATISTICS_TARGET}"
    )
    schema_editor.execute(
        f"CREATE STATISTICS IF NOT EXISTS {quote(TITLE_STATISTICS)} "
        f"ON (UPPER({quote('title')})) FROM {table}"
    )
    schema_editor.execute(
        f"ALTER STATISTICS {quote(TITLE_STATISTICS)} SET STATISTICS {STATISTICS_TARGET}"
    )


def restore_statistics(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    quote = schema_editor.quote_name
    schema_editor.execute(f"ALTER INDEX {quote(AUTHOR_INDEX)} ALTER COLUMN 1 SET STATISTICS -1")
    schema_editor.execute(f"DROP STATISTICS IF EXISTS {quote(TITLE_STATISTICS)}")


class Migration(migrations.Migration):
    dependencies = [
        ("books", "0002_trigram_search_indexes"),
    ]

    operations = [
        migrations.RunPython(raise_statistics, restore_statistics),
    ]
