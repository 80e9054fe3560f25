"""Estimated totals never lead a client to an empty page (API.md, Pagination).

On a large table `meta.total` may be the planner's estimate
(`meta.total_is_estimate: true`), and estimates run high as well as low. A
client that follows `links.next` must still stop at the last page with rows,
and a page past the end must not advertise further pages. The shared code
(common.pagination) does it; each framework only renders what it returns, so
every prefix is checked.

Only PostgreSQL estimates (pg_class.reltuples, EXPLAIN); SQLite counts every
list exactly, so there is nothing to test there. The table is made "large" by
lowering common.counting's thresholds, and the estimate made too high the way
it happens in production: rows deleted after the last ANALYZE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from common import counting
from tests.contract.conftest import Account, Api

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL estimates totals (SQLite counts exactly): nothing to estimate",
)

REAL_ROWS = 15
ROWS_AT_ANALYZE = 30
PAGE_SIZE = 5


@pytest.fixture
def overestimated_shelf(
    alice: Account, make_book: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """15 books that the planner believes are 30: three real pages, six estimated."""
    from books.models import Book

    ids = [make_book(alice, f"Book {n:02d}", "Ann Author", 1990 + n % 3)
           for n in range(ROWS_AT_ANALYZE)]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Book._meta.db_table}")
    # Far below autovacuum's threshold (50 rows + 10%): the statistics stay stale.
    Book.objects.filter(id__in=ids[REAL_ROWS:]).delete()
    monkeypatch.setattr(counting, "ESTIMATE_TABLES_FROM", 5)  # unfiltered: reltuples
    monkeypatch.setattr(counting, "TRUST_ESTIMATES_FROM", 5)  # filtered: EXPLAIN


def get_page(api: Api, url: str) -> dict[str, Any]:
    response = api.client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("filters", ["", "&year_from=1900"], ids=["unfiltered", "filtered"])
def test_following_next_ends_at_the_last_page_with_rows(
    api: Api, overestimated_shelf: None, filters: str
) -> None:
    first = get_page(api, api.url(f"/books?page_size={PAGE_SIZE}{filters}"))
    # The estimate is in use (else this test proves nothing) and is too high.
    assert first["meta"]["total_is_estimate"] is True
    assert first["meta"]["total"] > REAL_ROWS
    seen, url, body = [], None, first
    while True:
        assert body["data"], f"links.next led to an empty page: {url}"
        seen.extend(book["id"] for book in body["data"])
        url = body["links"]["next"]
        if url is None:
            break
        body = get_page(api, url)
    assert len(seen) == REAL_ROWS == len(set(seen))
    # The last page settled the total.
    assert body["meta"]["total"] == REAL_ROWS
    assert "total_is_estimate" not in body["meta"]


@pytest.mark.parametrize("filters", ["", "&year_from=1900"], ids=["unfiltered", "filtered"])
def test_a_page_past_the_last_row_advertises_no_page_beyond(
    api: Api, overestimated_shelf: None, filters: str
) -> None:
    first = get_page(api, api.url(f"/books?page_size={PAGE_SIZE}{filters}"))
    assert first["meta"]["pages"] > 4  # the estimate says page 4 exists
    for page in (4, first["meta"]["pages"]):
        body = get_page(api, api.url(f"/books?page_size={PAGE_SIZE}{filters}&page={page}"))
        assert body["data"] == []
        assert body["links"]["next"] is None
        # prev leads back to the last page that has rows, page 3.
        assert body["links"]["prev"].endswith("&page=3")
        assert get_page(api, body["links"]["prev"])["data"]
        assert body["meta"]["total"] == REAL_ROWS
        assert body["meta"]["pages"] == 3
