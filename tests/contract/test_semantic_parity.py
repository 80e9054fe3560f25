"""Semantic parity: each framework parses in its own way, and the client sees one answer.

Digits a framework's own parser might accept (fullwidth, Arabic-Indic), a sort with an
empty or unknown direction, a JSON `null` body, and refusals that must not cost
rate-limit budget: the same status and `error.code` (and detail fields) at every prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.contract.conftest import (
    Account,
    Api,
    Tokens,
    assert_error,
    detail_fields,
    normal_error,
)

# --- numbers are ASCII digits --------------------------------------------------------


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("page", "２"),  # FULLWIDTH DIGIT TWO
        ("page", "٢"),  # ARABIC-INDIC DIGIT TWO
        ("page_size", "１０"),
        ("year_from", "１９９０"),
        ("year_to", "۱۹۹۰"),  # EXTENDED ARABIC-INDIC
        ("page", "2.0"),
    ],
)
def test_a_number_that_is_not_ascii_digits_is_422(api: Api, parameter: str, value: str) -> None:
    response = api.get("/books", params={parameter: value})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == [parameter]


# --- sort directions -------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["title:", "title:up", ":asc", "title:ASC:", "title,", ","])
def test_a_sort_with_an_empty_or_unknown_part_is_422(api: Api, sort: str) -> None:
    response = api.get("/books", params={"sort": sort})
    assert_error(response, 422, "validation_error")
    assert detail_fields(response) == ["sort"]


@pytest.mark.parametrize("query", ["page=２", "sort=title:", "page_size=٠", "year_from=１９９０"])
def test_the_same_bad_query_answers_the_same_everywhere(apis: list[Api], query: str) -> None:
    """One fault, one answer: the same status, code and field at every prefix."""
    answers = {api.framework: normal_error(api.get(f"/books?{query}")) for api in apis}
    assert len(set(answers.values())) == 1, answers


# --- a JSON null body ----------------------------------------------------------------------


def _null_body_cases(book_id: int, user_id: int) -> list[tuple[str, str, bool]]:
    """(method, path, needs a token) for every endpoint that reads a JSON body."""
    return [
        ("POST", "/books", True),
        ("PUT", f"/books/{book_id}", True),
        ("PATCH", f"/books/{book_id}", True),
        ("POST", "/auth/register", False),
        ("POST", "/auth/refresh", False),
        ("POST", "/auth/logout", True),
        ("POST", "/auth/password-reset", False),
        ("POST", "/auth/password-reset/confirm", False),
        ("PATCH", f"/users/{user_id}", True),
        ("POST", "/bf-demo/login", False),
    ]


def test_a_null_json_body_answers_the_same_everywhere(
    apis: list[Api],
    alice: Account,
    make_book: Callable[..., int],
) -> None:
    book_id = make_book(alice)
    tokens = {api.framework: api.login(alice.username) for api in apis}
    for method, path, needs_token in _null_body_cases(book_id, alice.id):
        answers = {}
        for api in apis:
            headers = {"Content-Type": "application/json"}
            if needs_token:
                headers.update(tokens[api.framework].headers)
            response = api.request(method, path, content=b"null", headers=headers)
            assert response.status_code in (204, 400, 422), (api.framework, path, response.text)
            answers[api.framework] = (
                normal_error(response) if response.status_code >= 400 else response.status_code
            )
        assert len(set(answers.values())) == 1, (method, path, answers)


# --- a refusal for credentials or permission spends no budget -------------------------------

REMAINING = re.compile(r'r=(?P<remaining>\d+)')


def _remaining(response: httpx.Response) -> int:
    match = REMAINING.search(response.headers["RateLimit"])
    assert match, response.headers["RateLimit"]
    return int(match["remaining"])


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/books"), ("PATCH", "/books/{book_id}"), ("DELETE", "/books/{book_id}")],
)
def test_an_anonymous_write_spends_no_budget(
    api: Api,
    settings: SettingsWrapper,
    alice: Account,
    make_book: Callable[..., int],
    method: str,
    path: str,
) -> None:
    settings.RATE_LIMIT_ANON = "100/hour"  # a long window: no reset between the calls
    book_id = make_book(alice)
    before = _remaining(api.get("/books"))
    for _ in range(3):
        response = api.request(method, path.format(book_id=book_id), json={"title": "x"})
        assert_error(response, 401, "not_authenticated")
    assert _remaining(api.get("/books")) == before - 1


def test_a_forbidden_write_spends_no_budget(
    api: Api,
    settings: SettingsWrapper,
    alice: Account,
    bob_tokens: Tokens,
    make_book: Callable[..., int],
) -> None:
    settings.RATE_LIMIT_USER = "1000/hour"
    book_id = make_book(alice)
    before = _remaining(api.get("/auth/me", headers=bob_tokens.headers))
    for _ in range(3):
        response = api.patch(f"/books/{book_id}", json={"title": "x"}, headers=bob_tokens.headers)
        assert_error(response, 403, "permission_denied")
    after = _remaining(api.get("/auth/me", headers=bob_tokens.headers))
    assert after == before - 1



@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/users", None),
        ("GET", "/users/{other}", None),
        ("PATCH", "/users/{other}", {"email": "x@example.com"}),
        ("DELETE", "/users/{other}", None),
        ("PATCH", "/users/{self}", {"role": "admin"}),  # the service's rule: admins only
        ("PATCH", "/users/{self}", {"is_active": False}),
    ],
)
def test_a_forbidden_user_request_spends_no_budget(
    api: Api,
    settings: SettingsWrapper,
    alice: Account,
    bob: Account,
    bob_tokens: Tokens,
    method: str,
    path: str,
    body: dict[str, object] | None,
) -> None:
    settings.RATE_LIMIT_USER = "1000/hour"
    url = path.format(other=alice.id, self=bob.id)
    before = _remaining(api.get("/auth/me", headers=bob_tokens.headers))
    for _ in range(3):
        response = api.request(method, url, json=body, headers=bob_tokens.headers)
        assert_error(response, 403, "permission_denied")
    after = _remaining(api.get("/auth/me", headers=bob_tokens.headers))
    assert after == before - 1
