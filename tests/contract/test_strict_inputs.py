"""Corners where frameworks differ by default, answered alike at every prefix."""

from __future__ import annotations

import pytest

from tests.contract.conftest import Api, Tokens, assert_error

BOOK = b'{"title": "Caf\xe9", "author": "A", "year": 1999}'  # latin-1 bytes, not UTF-8


def test_a_trailing_slash_is_not_found_not_redirected(api: Api) -> None:
    response = api.client.get(f"{api.prefix}/books/", follow_redirects=False)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("content_type", ["application/*", "*/*", "text/json"])
def test_only_application_json_is_json(
    api: Api, alice_tokens: Tokens, content_type: str
) -> None:
    response = api.post(
        "/books",
        content=b'{"title": "Dune", "author": "Frank Herbert", "year": 1965}',
        headers={**alice_tokens.headers, "Content-Type": content_type},
    )
    assert_error(response, 400, "bad_request")


def test_json_is_utf8_whatever_the_declared_charset(api: Api, alice_tokens: Tokens) -> None:
    response = api.post(
        "/books",
        content=BOOK,
        headers={**alice_tokens.headers, "Content-Type": "application/json; charset=latin-1"},
    )
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("page", ["/docs", "/openapi.json"])
def test_docs_ignore_a_stale_token(api: Api, page: str) -> None:
    response = api.get(page, headers={"Authorization": "Bearer stale.token.here"})
    assert response.status_code == 200
    assert "RateLimit" not in response.headers
