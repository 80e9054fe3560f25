"""The composition root: headers every response carries, /health, /ready, /metrics, dispatch."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from config.asgi import application, served_by


@pytest.fixture
def client(transactional_db) -> TestClient:
    return TestClient(application, base_url="http://testserver")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/drf/books", "drf"),
        ("/api/drf", "drf"),
        ("/api/fastapi/books/3", "fastapi"),
        ("/api/flask/books", "flask"),
        ("/api/drfx", "django"),
        ("/admin/", "django"),
        ("/", "django"),
    ],
)
def test_served_by_is_decided_by_the_path_prefix(path: str, expected: str) -> None:
    assert served_by(path) == expected


def test_a_sent_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    assert response.headers["X-Served-By"] == "django"


def test_a_request_id_is_generated_when_missing_or_unsafe(client: TestClient) -> None:
    generated = client.get("/health").headers["X-Request-ID"]
    assert len(generated) == 32
    unsafe = client.get("/health", headers={"X-Request-ID": "x" * 500}).headers["X-Request-ID"]
    assert unsafe != "x" * 500 and len(unsafe) == 32


def test_health_is_liveness(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_database_and_cache(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_ready_names_the_failing_dependency(client: TestClient, monkeypatch) -> None:
    from django.core.cache import caches

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    # Patch the backend class: each thread has its own cache instance, and
    # the request is served on one of a2wsgi's worker threads.
    monkeypatch.setattr(type(caches["default"]), "set", broken)
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "cache": "unavailable"}
    assert client.get("/health").status_code == 200  # liveness: the process answers


def test_landing_page_links_each_framework(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    for link in ("/api/drf/docs", "/api/fastapi/docs", "/admin/"):
        assert link in response.text


def test_metrics_count_requests_by_framework_and_route_template(client: TestClient) -> None:
    client.get("/api/drf/health")
    client.get("/api/drf/no-such-thing")
    # /metrics answers METRICS_ALLOWED_IPS (loopback by default) only.
    loopback = TestClient(application, base_url="http://testserver", client=("127.0.0.1", 5000))
    body = loopback.get("/metrics").text
    assert 'framework="drf"' in body
    assert 'route="/api/drf/health"' in body
    # An unknown path is one label value, not one series per path.
    assert 'route="<unmatched>"' in body
    assert "/no-such-thing" not in body


@pytest.mark.parametrize("path", ["/api/drf/books", "/api/fastapi/books", "/admin/", "/health"])
def test_a_host_outside_allowed_hosts_is_refused_alike_everywhere(
    client: TestClient, path: str
) -> None:
    response = client.get(path, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "bad_request",
            "message": "The Host header names a host this server does not serve.",
        }
    }
    assert response.headers["X-Request-ID"]


def test_an_allowed_host_with_a_port_is_served(client: TestClient) -> None:
    assert client.get("/health", headers={"Host": "localhost:8000"}).status_code == 200
