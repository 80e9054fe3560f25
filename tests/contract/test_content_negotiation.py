"""Content negotiation: JSON whatever `Accept` says, never 406 or 500.

The one exception (API.md, "Content negotiation"): at /api/drf, a request
whose `Accept` prefers text/html gets DRF's browsable API. Every other
client, at every prefix and outside them, gets the very bytes a JSON client
gets.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from starlette.testclient import TestClient

from tests.contract.conftest import Account, Api, assert_error, assert_oauth_error

JSON_ACCEPT = "application/json"
# What browsers send when they navigate to a page (Chromium, Firefox).
BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)
# Never a browser: each must get JSON, byte for byte what a JSON client gets.
NOT_HTML = [
    "application/xml",
    "text/plain",
    "*/*",
    "garbage",
    "application/*",
    "image/png",
    "text/html;q=0.5, application/json",  # prefers JSON
    "text/html, application/json",  # a tie: the API's default, JSON
    "text/html;q=abc",  # malformed item, skipped
    "",
]
HEALTHY = {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}
HTML_PREFERRED = ["text/html", BROWSER_ACCEPT, "application/json;q=0.5, text/html"]


def _get(api: Api, path: str, accept: str) -> httpx.Response:
    return api.get(path, headers={"Accept": accept})


def assert_json(response: httpx.Response) -> object:
    assert response.status_code not in (406, 500), (response.status_code, response.text)
    assert "json" in response.headers["Content-Type"], response.headers["Content-Type"]
    return json.loads(response.content)


def assert_html(response: httpx.Response) -> str:
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("text/html"), response.headers
    return response.text


# --- JSON for everything but a browser, at every prefix --------------------------------


@pytest.mark.parametrize("accept", NOT_HTML)
def test_books_list_is_the_same_json_for_any_accept(
    api: Api, alice: Account, make_book: Callable[..., int], accept: str
) -> None:
    make_book(alice, title="Dune")
    expected = _get(api, "/books", JSON_ACCEPT)
    response = _get(api, "/books", accept)
    assert response.status_code == 200
    assert_json(response)
    assert response.content == expected.content
    assert response.headers["Content-Type"] == expected.headers["Content-Type"]


@pytest.mark.parametrize("accept", NOT_HTML)
def test_book_detail_and_errors_are_json_for_any_accept(
    api: Api, alice: Account, make_book: Callable[..., int], accept: str
) -> None:
    book_id = make_book(alice)
    detail = _get(api, f"/books/{book_id}", accept)
    assert detail.content == _get(api, f"/books/{book_id}", JSON_ACCEPT).content
    assert_error(_get(api, "/books/999999", accept), 404, "not_found")
    assert_error(_get(api, "/no-such-path", accept), 404, "not_found")
    assert_error(_get(api, "/books?sort=price", accept), 422, "validation_error")
    assert_error(_get(api, "/auth/me", accept), 401, "not_authenticated")


@pytest.mark.parametrize("accept", NOT_HTML + HTML_PREFERRED)
def test_health_openapi_and_token_are_json_for_any_accept(api: Api, accept: str) -> None:
    """Not even a browser gets HTML from these: the document and RFC 6749's body are JSON."""
    document = assert_json(_get(api, "/openapi.json", accept))
    assert isinstance(document, dict) and document["openapi"].startswith("3.")
    token = api.post(
        "/auth/token", data={"username": "nobody", "password": "x"}, headers={"Accept": accept}
    )
    assert_json(token)
    assert_oauth_error(token, 400, "invalid_grant")
    if api.framework != "drf" or accept in NOT_HTML:
        assert assert_json(_get(api, "/health", accept)) == HEALTHY


@pytest.mark.parametrize("accept", NOT_HTML + HTML_PREFERRED)
def test_root_health_and_ready_are_json_for_any_accept(client: TestClient, accept: str) -> None:
    response = client.get("/health", headers={"Accept": accept})
    assert response.status_code == 200
    assert assert_json(response) == {"status": "ok"}
    response = client.get("/ready", headers={"Accept": accept})
    assert response.status_code == 200
    assert assert_json(response) == HEALTHY


# --- a browser -------------------------------------------------------------------------


@pytest.mark.parametrize("accept", HTML_PREFERRED)
def test_a_browser_gets_json_from_fastapi_and_flask_html_from_drf(
    api: Api, alice: Account, make_book: Callable[..., int], accept: str
) -> None:
    make_book(alice, title="Dune")
    response = _get(api, "/books", accept)
    if api.framework == "drf":
        page = assert_html(response)
        assert "Django REST framework" in page and "Dune" in page
        assert "Accept" in response.headers["Vary"]
    else:
        assert response.content == _get(api, "/books", JSON_ACCEPT).content


def test_a_json_answer_does_not_vary_on_cookies(api: Api) -> None:
    """JSON responses are what they were: no session is read, no cookie is set."""
    response = _get(api, "/books", JSON_ACCEPT)
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "set-cookie" not in response.headers
