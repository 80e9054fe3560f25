"""Inputs built to crash a parser or a database: answered in the envelope, never a 500.

Lone surrogates and deep nesting are refused while the body is read
(common/json_body.py), so every JSON endpoint answers alike, including the
ones that need no login; NUL is refused per field (422) or, at the OAuth2
token endpoint, as `invalid_request`; oversized bodies are refused by
the edge (common/asgi/edge.py) before anyone reads them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.conftest import (
    PASSWORD,
    Account,
    Api,
    Tokens,
    assert_error,
    assert_oauth_error,
    detail_fields,
)

SURROGATE = '"\\ud800"'  # a JSON string escape naming half of a UTF-16 pair


def _json(text: str) -> dict[str, object]:
    return {"content": text.encode(), "headers": {"Content-Type": "application/json"}}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/auth/register", f'{{"username": {SURROGATE}, "email": "a@example.com"}}'),
        ("/auth/refresh", f'{{"refresh_token": {SURROGATE}}}'),
        ("/auth/register", f'{{{SURROGATE}: 1}}'),  # in a key
        ("/auth/register", f'{{"nested": [[{{"a": {SURROGATE}}}]]}}'),
    ],
)
def test_a_lone_surrogate_without_login_is_400(api: Api, path: str, body: str) -> None:
    assert_error(api.post(path, **_json(body)), 400, "bad_request")


def test_a_lone_surrogate_in_logged_in_bodies_is_400(
    api: Api, alice: Account, alice_tokens: Tokens
) -> None:
    auth = alice_tokens.headers
    book = f'{{"title": {SURROGATE}, "author": "A", "year": 1999}}'
    patch = f'{{"password": "Velvet-Harbor-9-Compass", "current_password": {SURROGATE}}}'
    for method, path, body in [
        ("POST", "/books", book),
        ("PATCH", f"/users/{alice.id}", patch),
        ("POST", "/auth/logout", f'{{"refresh_token": {SURROGATE}}}'),
    ]:
        kwargs = _json(body)
        kwargs["headers"] = {**kwargs["headers"], **auth}  # type: ignore[dict-item]
        response = api.request(method, path, **kwargs)
        assert_error(response, 400, "bad_request")
    assert api.get("/auth/me", headers=auth).status_code == 200  # logout did not happen


def test_a_valid_surrogate_pair_is_ordinary_text(api: Api, alice_tokens: Tokens) -> None:
    body = '{"title": "Smile \\ud83d\\ude00", "author": "A", "year": 1999}'
    kwargs = _json(body)
    kwargs["headers"] = {**kwargs["headers"], **alice_tokens.headers}  # type: ignore[dict-item]
    response = api.post("/books", **kwargs)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["title"] == "Smile \U0001f600"


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
def test_json_nested_deeper_than_64_levels_is_400(api: Api, depth: int) -> None:
    body = '{"a":' * (depth - 1) + "[]" + "}" * (depth - 1)
    error = assert_error(api.post("/auth/register", **_json(body)), 400, "bad_request")
    assert "64" in error["message"]


def test_json_nested_64_levels_is_read(api: Api) -> None:
    body = '{"a":' * 63 + "[]" + "}" * 63
    response = api.post("/auth/register", **_json(body))
    assert_error(response, 422, "validation_error")  # read, then fields missing


def test_nul_in_the_token_endpoints_username_is_invalid_request(api: Api, alice: Account) -> None:
    response = api.password_grant("ali\x00ce", PASSWORD)
    body = assert_oauth_error(response, 400, "invalid_request")
    assert "username" in body["error_description"]


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_nul_in_a_register_field_is_422_on_that_field(api: Api, field: str) -> None:
    body = {"username": "carol", "email": "carol@example.com", "password": PASSWORD}
    body[field] = body[field][:2] + "\x00" + body[field][2:]
    response = api.post("/auth/register", json=body)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [field]


@pytest.mark.parametrize("field", ["title", "author", "isbn", "description"])
def test_nul_in_a_book_field_is_422_on_that_field(
    api: Api, alice_tokens: Tokens, field: str
) -> None:
    book = {"title": "Dune", "author": "Frank Herbert", "year": 1965,
            "isbn": "9780441013593", "description": "Spice"}
    book[field] = "a\x00b"
    response = api.post("/books", json=book, headers=alice_tokens.headers)
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [field]


@pytest.mark.parametrize("field", ["refresh_token"])
def test_nul_in_the_refresh_token_is_422(api: Api, field: str) -> None:
    response = api.post("/auth/refresh", json={field: "abc\x00def"})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [field]


def test_nul_in_current_password_is_422(api: Api, alice: Account, alice_tokens: Tokens) -> None:
    response = api.patch(
        f"/users/{alice.id}",
        json={"password": "Velvet-Harbor-9-Compass", "current_password": "x\x00y"},
        headers=alice_tokens.headers,
    )
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["current_password"]


@pytest.mark.parametrize("name", ["search", "title_contains", "author", "sort", "year_from"])
def test_nul_in_a_query_value_is_422_on_that_parameter(api: Api, name: str) -> None:
    response = api.get("/books", params={name: "a\x00b"})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [name]


# --- body size -------------------------------------------------------------------------


def test_a_body_over_max_body_bytes_is_413(api: Api, settings: object) -> None:
    from django.conf import settings as django_settings

    limit = django_settings.MAX_BODY_BYTES
    body = b'{"username": "' + b"x" * limit + b'"}'
    response = api.post("/auth/register", content=body,
                        headers={"Content-Type": "application/json"})
    error = assert_error(response, 413, "payload_too_large")
    assert str(limit) in error["message"]


def test_a_chunked_body_over_the_limit_is_413(api: Api) -> None:
    from django.conf import settings as django_settings

    chunk = b"x" * 65_536
    chunks = django_settings.MAX_BODY_BYTES // len(chunk) + 2

    def stream() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"username": "'
        for _ in range(chunks):
            yield chunk
        yield b'"}'

    response = api.post("/auth/register", content=stream(),
                        headers={"Content-Type": "application/json"})
    assert_error(response, 413, "payload_too_large")


def test_a_chunked_body_under_the_limit_is_read(api: Api) -> None:
    def stream() -> Iterator[bytes]:
        yield b'{"username": "carol", "email": "carol@example.com", '
        yield f'"password": "{PASSWORD}"}}'.encode()

    response = api.post("/auth/register", content=stream(),
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text


def test_a_body_just_under_the_limit_is_not_413(api: Api, alice_tokens: Tokens) -> None:
    from django.conf import settings as django_settings

    padding = "x" * (django_settings.MAX_BODY_BYTES - 200)
    response = api.post(
        "/books",
        json={"title": "Dune", "author": "Frank Herbert", "year": 1965, "description": padding},
        headers=alice_tokens.headers,
    )
    assert_error(response, 422, "validation_error")  # read whole: description too long
    assert detail_fields(response) == ["description"]
