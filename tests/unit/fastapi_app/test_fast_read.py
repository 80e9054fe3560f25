"""The speed module: CachedReadRoute answers a HIT itself, the endpoint runs on a MISS."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mounted_apis.fastapi_app.routes import books

from .conftest import PREFIX


def test_a_hit_never_reaches_the_endpoint(
    client: TestClient, alice, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get(f"{PREFIX}/books?page_size=5")
    assert first.headers["X-Cache"] == "MISS"

    def no_database(query: object) -> None:
        raise AssertionError("a HIT computed the page")

    monkeypatch.setattr(books, "_books_page", no_database)
    second = client.get(f"{PREFIX}/books?page_size=5")
    assert second.headers["X-Cache"] == "HIT"
    assert second.content == first.content
    assert "RateLimit" in second.headers  # counted all the same


def test_a_miss_validates_the_query_as_any_route(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/books?page_size=101")
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["page_size"]
    assert "RateLimit" in response.headers


def test_a_bad_token_is_refused_before_the_cache(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/books", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
