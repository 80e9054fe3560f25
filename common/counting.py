"""How many rows a list has, without an unbounded COUNT(*) on large tables.

    count_rows(Book.objects.filter(year__gte=2000))  # -> RowCount(total=..., estimated=...)

A page-number answer needs `meta.total`, but `SELECT COUNT(*)` reads every
matching row: ~65 ms for a million books, and as much again for a filter
that matches most of them (docs/measurements.md, "Pagination at scale"). So:

- unfiltered, on PostgreSQL: the planner's row count for the table
  (`pg_class.reltuples`, refreshed by ANALYZE and autovacuum), when it says
  the table holds ESTIMATE_TABLES_FROM rows or more; an estimate, and
  `meta` says so;
- filtered, on PostgreSQL: first the planner's estimate (EXPLAIN, a
  fraction of a millisecond). When it says TRUST_ESTIMATES_FROM rows or
  more, that is the total: counting even the first thousand of 37,000
  `search` hits costs a full bitmap scan of the trigram index (~10-40 ms).
  Otherwise count at most EXACT_UP_TO + 1 rows (`COUNT(*)` over a `LIMIT`ed
  subquery, which stops early): exact up to EXACT_UP_TO, else the estimate;
- anything else (small tables, SQLite, an estimate that is missing): exact.

Small lists, which is every list the contract tests make, always get exact
counts. SQLite has no row estimate, and counts a million rows in a few
tens of milliseconds anyway.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

# Up to this many rows matching a filter, totals are exact. Small on purpose:
# the bounded count reads up to this many rows per request (measured on 1M
# books, `search=harbor`: ~9 ms at 1,000, ~80 ms at 10,000).
EXACT_UP_TO = 1_000
# Unfiltered tables smaller than this are counted exactly (~6 ms at 100,000).
ESTIMATE_TABLES_FROM = 100_000
# A filtered list the planner expects to hold this many rows is not counted
# at all. Ten times EXACT_UP_TO leaves room for the planner's misestimates
# (migration 0003 keeps `search`'s within ~10% on generated data).
TRUST_ESTIMATES_FROM = 10_000


@dataclass(frozen=True)
class RowCount:
    total: int
    # True when `total` comes from the planner's statistics, not from counting.
    estimated: bool = False


def count_rows(queryset: QuerySet) -> RowCount:
    """The number of rows `queryset` holds: exact when small, else bounded or estimated."""
    vendor = connections[queryset.db].vendor
    if vendor != "postgresql":
        return RowCount(queryset.count())
    if not queryset.query.where:
        estimate = _table_estimate(queryset)
        if estimate is not None and estimate >= ESTIMATE_TABLES_FROM:
            return RowCount(estimate, estimated=True)
        return RowCount(queryset.count())
    estimate = _plan_estimate(queryset)
    if estimate >= TRUST_ESTIMATES_FROM:
        return RowCount(estimate, estimated=True)
    # order_by(): a sliced count keeps the ORDER BY in its subquery, which
    # would make PostgreSQL walk the sort's index instead of the filter's
    # (measured: `search=harbor&sort=title` 338 ms with it, ~10 ms without).
    bounded = queryset.order_by()[: EXACT_UP_TO + 1].count()
    if bounded <= EXACT_UP_TO:
        return RowCount(bounded)
    # At least EXACT_UP_TO + 1 rows: the planner's guess, never below what we saw.
    return RowCount(max(estimate, bounded), estimated=True)


def _table_estimate(queryset: QuerySet) -> int | None:
    """pg_class.reltuples: None for a table never analyzed (-1 since PostgreSQL 14)."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    if row is None or row[0] is None or row[0] < 0:
        return None
    return int(row[0])


def _plan_estimate(queryset: QuerySet) -> int:
    """The planner's row estimate for the query (no rows read: EXPLAIN, not ANALYZE)."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):  # psycopg returns json already parsed; be safe
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
