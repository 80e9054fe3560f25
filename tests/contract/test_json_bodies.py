"""What counts as a JSON-object body, answered alike at every prefix.

The rule lives once (common/json_body.py for FastAPI and Flask, DRF's parser
configured to match in drf_support/parsers.py); this checks each framework
applies it, and that a refused body still counts against the rate limit.
"""

from __future__ import annotations

import pytest

from tests.contract.conftest import Api, assert_error


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b"{not json", "application/json", "Request body is not valid JSON."),
        (b"NaN", "application/json", "Request body is not valid JSON."),
        (b'{"username": NaN}', "application/json", "Request body is not valid JSON."),
        (b"\xff\xfe", "application/json", "Request body is not valid JSON."),
        (b"[1, 2]", "application/json", "Request body must be a JSON object."),
        (b"null", "application/json", "Request body must be a JSON object."),
        (b'{"username": "x"}', "text/plain", "Content type must be application/json."),
        (b'{"username": "x"}', None, "Content type must be application/json."),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(
    api: Api, content: bytes, content_type: str | None, message: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post("/auth/register", content=content, headers=headers)
    error = assert_error(response, 400, "bad_request")
    assert error == {"code": "bad_request", "message": message}
    assert "RateLimit" in response.headers  # counted like any other limited response
