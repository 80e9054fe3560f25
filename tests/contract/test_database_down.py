"""A database that is down: 503 `service_unavailable`, never a 500 or a stack trace.

Every new cursor, in every thread, raises the OperationalError a driver
raises when the server is unreachable; what was already in the cache is
still served. The patch is lifted inside each test, before pytest-django
flushes the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from tests.contract.conftest import Api, assert_error


@contextmanager
def database_down(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OperationalError("connection refused (simulated)")

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", refuse)
        yield


def test_reads_answer_503_in_the_envelope(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    with database_down(monkeypatch):
        response = api.get("/books", params={"search": "never cached"})
    body = assert_error(response, 503, "service_unavailable")
    assert "OperationalError" not in response.text and "refused" not in response.text
    assert body["message"]


def test_writes_answer_503(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    with database_down(monkeypatch):
        response = api.post(
            "/auth/register",
            json={
                "username": "newcomer",
                "email": "n@example.com",
                "password": "Quartz-Lantern-77",
            },
        )
    assert_error(response, 503, "service_unavailable")


def test_cached_reads_still_answer(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    assert api.get("/books").headers["X-Cache"] == "MISS"
    with database_down(monkeypatch):
        response = api.get("/books")
    assert response.status_code == 200
    assert response.headers["X-Cache"] == "HIT"


def test_health_names_the_database(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    with database_down(monkeypatch):
        responses = [api.client.get("/ready"), api.get("/health")]
        live = api.client.get("/health")
    for response in responses:
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "unavailable", "cache": "ok"}
    assert live.status_code == 200 and live.json() == {"status": "ok"}
