"""Docs per prefix, and what lives outside the prefixes: landing page, admin, metrics."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from starlette.testclient import TestClient

from tests.contract.conftest import FRAMEWORK_OF, PREFIXES, Api

# --- docs ----------------------------------------------------------------------------------------


def test_openapi_document_describes_the_contract(api: Api) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = list(document["paths"])
    for endpoint in ("/books", "/books/{", "/auth/token", "/auth/register", "/users"):
        assert any(endpoint in path for path in paths), (endpoint, paths)


def test_openapi_declares_the_oauth2_password_flow(api: Api) -> None:
    schemes = api.get("/openapi.json").json()["components"]["securitySchemes"]
    flows = [s["flows"]["password"] for s in schemes.values() if s.get("type") == "oauth2"]
    assert flows, schemes
    # A relative tokenUrl is fine: Swagger UI resolves it against the document's URL.
    document_url = f"http://testserver{api.url('/openapi.json')}"
    assert urljoin(document_url, flows[0]["tokenUrl"]).endswith(f"{api.prefix}/auth/token")


def test_swagger_ui_is_served(api: Api) -> None:
    response = api.get("/docs")
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
    assert "swagger" in response.text.lower()


def test_redoc_is_served(api: Api) -> None:
    response = api.get("/redoc")
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
    assert f"{api.prefix}/openapi.json" in response.text
    assert "redoc.standalone.js" in response.text


# --- outside the prefixes ------------------------------------------------------------------------


def test_landing_page_links_every_docs_ui(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "text/html" in response.headers["Content-Type"]
    for prefix in PREFIXES:
        assert f'href="{prefix}/docs"' in response.text
        assert f'href="{prefix}/redoc"' in response.text
    assert "/admin/" in response.text


def test_admin_asks_for_a_login(client: TestClient) -> None:
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302
    assert "/admin/login/" in response.headers["Location"]


def test_metrics_count_requests_by_framework_and_route(client: TestClient) -> None:
    for prefix in PREFIXES:
        client.get(f"{prefix}/books")
        client.get(f"{prefix}/books/12345")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = response.text
    for prefix in PREFIXES:
        framework = FRAMEWORK_OF[prefix]
        assert re.search(rf'http_requests_total\{{[^}}]*framework="{framework}"', text), framework
    assert "http_request_duration_seconds_bucket" in text


def test_metrics_label_route_templates_not_raw_paths(client: TestClient) -> None:
    for prefix in PREFIXES:
        client.get(f"{prefix}/books/987654")
    # The path, not its digits alone: those can turn up inside a float.
    assert "/books/987654" not in client.get("/metrics").text
