"""Fixtures for the FastAPI app's unit tests: a client on the composed ASGI app.

The app runs ORM calls in worker threads, so data set up here must be
committed: `transactional_db`, not `db`.
"""

from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette prefers the httpx2 fork
    from starlette.testclient import TestClient

PREFIX = "/api/fastapi"
PASSWORD = "Tr0mbone-Quartz-Lantern"


@pytest.fixture
def client(transactional_db) -> TestClient:
    from config.asgi import application

    return TestClient(application, base_url="http://testserver", client=("127.0.0.1", 50000))


@pytest.fixture
def alice(transactional_db):
    from accounts.models import User

    return User.objects.create_user(username="alice", email="alice@example.com", password=PASSWORD)


@pytest.fixture
def alice_headers(client: TestClient, alice) -> dict[str, str]:
    response = client.post(
        f"{PREFIX}/auth/token", data={"username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
