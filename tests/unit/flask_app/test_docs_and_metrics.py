"""docs.py / openapi.py: Swagger UI and ReDoc offline, a document that matches the routes;
metrics.py: requests are labelled by rule, not by raw path."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from starlette.testclient import TestClient

from .conftest import PREFIX


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_this_server(client: TestClient, page: str) -> None:
    response = client.get(f"{PREFIX}{page}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers  # added by config.asgi for docs pages
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert assets and all(url.startswith(f"{PREFIX}/static/") for url in assets), assets
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert "fonts.googleapis" not in response.text


def test_swagger_ui_reads_this_prefix_document(client: TestClient) -> None:
    assert f'"url": "{PREFIX}/openapi.json"' in client.get(f"{PREFIX}/docs").text


def test_redoc_reads_this_prefix_document(client: TestClient) -> None:
    assert f'<redoc spec-url="{PREFIX}/openapi.json">' in client.get(f"{PREFIX}/redoc").text


def test_static_files_cannot_leave_the_sidecar_folder(flask_client: FlaskClient) -> None:
    assert flask_client.get("/static/../../../../etc/passwd").status_code == 404
    assert flask_client.get("/static/nope.js").status_code == 404


def _rule_to_openapi(rule: str) -> str:
    return re.sub(r"<digits:(\w+)>", r"{\1}", rule)


def test_the_document_describes_exactly_the_routes(flask_app: Flask) -> None:
    document = flask_app.test_client().get("/openapi.json").get_json()
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    routed = {
        (_rule_to_openapi(rule.rule), method)
        for rule in flask_app.url_map.iter_rules()
        if not rule.rule.startswith(("/docs", "/redoc", "/openapi.json", "/static"))
        for method in rule.methods or ()
    }
    assert documented == routed


def test_the_document_uses_the_envelope_and_the_password_flow(flask_client: FlaskClient) -> None:
    document = flask_client.get("/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    scheme = document["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme["flows"]["password"]["tokenUrl"] == "auth/token"
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                ref = response.get("content", {}).get("application/json", {}).get("schema", {})
                name = ref.get("$ref", "").rsplit("/", 1)[-1]
                if name:
                    assert name in schemas, (path, status, name)
                if status in {"401", "403", "404", "409", "422"}:
                    assert name == "ErrorEnvelope", (path, status)
                if status == "429":
                    expected = "OAuthErrorBody" if path == "/auth/token" else "ErrorEnvelope"
                    assert name == expected, (path, status)


@pytest.mark.parametrize("path", ["/books/987654", "/books/987655"])
def test_metrics_use_the_rule_not_the_path(client: TestClient, path: str) -> None:
    client.get(f"{PREFIX}{path}")
    text = client.get("/metrics").text
    assert f'route="{PREFIX}/books/<digits:book_id>"' in text
    # The path itself, not its digits alone: those can turn up inside a float.
    assert path not in text
