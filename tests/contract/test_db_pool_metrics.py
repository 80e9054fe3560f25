"""/metrics shows the database pool: requests waiting for a connection, and for how long."""

from __future__ import annotations

from django.db import connection
from starlette.testclient import TestClient

POOL_SERIES = (
    "db_pool_requests_waiting",
    "db_pool_wait_seconds_total",
    "db_pool_requests_queued_total",
    "db_pool_timeouts_total",
)


def test_the_pool_series_are_served_for_a_pooled_database(client: TestClient) -> None:
    client.get("/api/drf/books")  # a request that borrows a connection
    text = client.get("/metrics").text
    if connection.vendor == "postgresql":
        for series in POOL_SERIES:
            assert f'{series}{{database="default"}}' in text, series
        waiting = next(line for line in text.splitlines()
                       if line.startswith('db_pool_requests_waiting{database="default"}'))
        assert float(waiting.split()[-1]) >= 0
    else:  # SQLite has no pool: nothing to report, and no error
        assert client.get("/metrics").status_code == 200
        assert not any(line.startswith("db_pool_") for line in text.splitlines())
