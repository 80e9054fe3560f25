"""What only DRF's accounts code says: its wording for a bad registration.

The endpoints' behaviour (statuses, bodies, headers, tokens, users) is the
contract's, checked at every prefix in tests/contract/.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

P = "/api/drf"


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error


def test_register_type_errors(client: APIClient, db: None) -> None:
    response = client.post(
        f"{P}/auth/register", {"username": 123, "email": None}, format="json"
    )
    error = error_of(response, 422, "validation_error")
    assert error["details"] == [
        {"field": "username", "message": "Not a valid string."},
        {"field": "email", "message": "This field may not be null."},
        {"field": "password", "message": "This field is required."},
    ]
