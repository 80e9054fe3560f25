"""CORS is answered once, in the composition root, the same for every prefix."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from config.asgi import build_application

ORIGIN = "https://books.example.org"


@pytest.fixture
def cors_client(transactional_db, settings) -> TestClient:
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    return TestClient(build_application(), base_url="http://testserver")


@pytest.mark.parametrize("prefix", ["/api/drf", "/api/fastapi"])
def test_preflight_is_answered_before_any_framework(cors_client: TestClient, prefix: str) -> None:
    response = cors_client.options(
        f"{prefix}/books",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["X-Served-By"] in {"drf", "fastapi"}


@pytest.mark.parametrize("prefix", ["/api/drf", "/api/fastapi"])
def test_simple_requests_expose_the_rate_limit_headers(
    cors_client: TestClient, prefix: str
) -> None:
    response = cors_client.get(f"{prefix}/books", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "RateLimit" in exposed and "X-Request-ID" in exposed


def test_an_unlisted_origin_gets_no_cors_headers(cors_client: TestClient) -> None:
    response = cors_client.get("/api/drf/books", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_no_cors_headers_when_no_origin_is_configured(transactional_db) -> None:
    client = TestClient(build_application(), base_url="http://testserver")
    response = client.get("/api/drf/books", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in response.headers
