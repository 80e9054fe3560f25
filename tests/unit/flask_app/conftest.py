"""Fixtures for the Flask app's unit tests.

Two ways in:
- `client`: the composed ASGI app (config.asgi), as a real request arrives:
  through a2wsgi, on one of its worker threads. Data must be committed
  (`transactional_db`) to be seen there.
- `flask_app` / `flask_client`: the bare app from `create_app()`, driven by
  Flask's own test client on the test's thread; for what a test needs to
  observe on that thread (its database connection) or to add routes to.
"""

from __future__ import annotations

import warnings

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mounted_apis.flask_app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette prefers the httpx2 fork
    from starlette.testclient import TestClient

PREFIX = "/api/flask"
PASSWORD = "Tr0mbone-Quartz-Lantern"


@pytest.fixture
def client(transactional_db: None) -> TestClient:
    from config.asgi import application

    return TestClient(application, base_url="http://testserver", client=("127.0.0.1", 50000))


@pytest.fixture
def flask_app() -> Flask:
    return create_app({"TESTING": True})


@pytest.fixture
def flask_client(flask_app: Flask) -> FlaskClient:
    return flask_app.test_client()


@pytest.fixture
def alice(transactional_db: None):
    from accounts.models import User

    return User.objects.create_user(username="alice", email="alice@example.com", password=PASSWORD)


@pytest.fixture
def alice_headers(client: TestClient, alice) -> dict[str, str]:
    response = client.post(f"{PREFIX}/auth/token", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
