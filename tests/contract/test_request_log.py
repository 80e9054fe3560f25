"""One access line per request, at every prefix (common/asgi/request_log.py).

Each request through the composed app must leave exactly one line on the
"access" logger; formatted as JSON (production's LOG_FORMAT) it parses and
holds the request id the client got back, the framework, the route
template, the status, the duration and, when a token was sent, the user id.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from common.logs import JsonFormatter

from .conftest import Account, Api, Tokens

FIELDS = {"request_id", "framework", "method", "route", "status", "duration_ms", "user_id"}


class AccessLines:
    """What the access logger wrote, as JSON lines."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def take(self) -> list[dict[str, Any]]:
        """Every line since the last take, each parsed as JSON."""
        lines = self.stream.getvalue().splitlines()
        self.stream.seek(0)
        self.stream.truncate()
        return [json.loads(line) for line in lines]


@pytest.fixture
def access_lines() -> Iterator[AccessLines]:
    logger = logging.getLogger("access")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield AccessLines(stream)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)


def _only_line(access_lines: AccessLines) -> dict[str, Any]:
    lines = access_lines.take()
    assert len(lines) == 1, lines
    assert lines[0].keys() >= FIELDS
    assert lines[0]["logger"] == "access"
    assert isinstance(lines[0]["duration_ms"], float) and lines[0]["duration_ms"] >= 0
    return lines[0]


def test_an_authenticated_request_names_its_user(
    api: Api, alice: Account, alice_tokens: Tokens, access_lines: AccessLines
) -> None:
    access_lines.take()  # the login's own line
    response = api.get("/auth/me", headers=alice_tokens.headers)
    assert response.status_code == 200
    line = _only_line(access_lines)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["framework"] == api.framework
    assert line["method"] == "GET"
    assert line["route"] == f"{api.prefix}/auth/me"
    assert line["status"] == 200
    assert line["user_id"] == alice.id


def test_a_cached_read_names_its_user_too(
    api: Api, alice: Account, alice_tokens: Tokens, access_lines: AccessLines
) -> None:
    """The books reads check the token themselves (books/fast_read.py), miss and hit alike."""
    access_lines.take()
    for expected_cache in ("MISS", "HIT"):
        response = api.get("/books", headers=alice_tokens.headers)
        assert response.headers["X-Cache"] == expected_cache
        line = _only_line(access_lines)
        assert line["route"] == f"{api.prefix}/books"
        assert line["user_id"] == alice.id
        assert line["request_id"] == response.headers["X-Request-ID"]


def test_an_anonymous_request_has_no_user(api: Api, access_lines: AccessLines) -> None:
    response = api.get("/books", headers={"X-Request-ID": "client-chosen-42"})
    assert response.status_code == 200
    line = _only_line(access_lines)
    assert line["request_id"] == "client-chosen-42"
    assert line["user_id"] is None
    assert line["framework"] == api.framework


def test_an_unknown_path_is_logged_unmatched(api: Api, access_lines: AccessLines) -> None:
    """The raw path never becomes a field: a client cannot fill logs with made-up routes."""
    response = api.get("/no/such/thing")
    assert response.status_code == 404
    line = _only_line(access_lines)
    assert line["route"] == "<unmatched>"
    assert line["status"] == 404


def test_a_refused_token_is_logged_without_a_user(api: Api, access_lines: AccessLines) -> None:
    response = api.get("/auth/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    line = _only_line(access_lines)
    assert line["status"] == 401
    assert line["user_id"] is None


# --- issue 13, finding 8: the lines that were wrong -------------------------------------


def test_the_landing_page_is_named(client: TestClient, access_lines: AccessLines) -> None:
    assert client.get("/").status_code == 200
    assert _only_line(access_lines)["route"] == "/"


def test_an_unmatched_request_says_which_path(api: Api, access_lines: AccessLines) -> None:
    api.get("/no/such/thing")
    line = _only_line(access_lines)
    assert line["route"] == "<unmatched>"
    assert line["path"] == f"{api.prefix}/no/such/thing"


def test_the_token_route_is_named_by_its_template(api: Api, access_lines: AccessLines) -> None:
    api.post("/auth/token", data={"username": "nobody", "password": "x"})
    assert _only_line(access_lines)["route"] == f"{api.prefix}/auth/token"


def test_a_request_the_edge_refuses_is_logged(api: Api, access_lines: AccessLines) -> None:
    response = api.get("/books", headers={"Host": "evil.example"})
    assert response.status_code == 400
    line = _only_line(access_lines)
    assert line["status"] == 400
    assert line["request_id"] == response.headers["X-Request-ID"]
