"""The same request against the same state: the same status and body at every prefix.

Also: one user store, one token store (a token from one prefix works at the
others), one database (a write at one prefix is read at once at the others).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.contract.conftest import (
    FRAMEWORK_OF,
    PASSWORD,
    PREFIXES,
    Account,
    Api,
    Tokens,
    assert_error,
    bearer,
    normal_error,
)

ISBN13 = "9780306406157"


@dataclass
class State:
    alice: Account
    bob: Account
    alice_tokens: Tokens
    admin_tokens: Tokens
    book_id: int


@pytest.fixture
def state(
    apis: list[Api],
    alice: Account,
    bob: Account,
    admin: Account,
    make_book: Callable[..., int],
) -> State:
    book_id = make_book(alice, isbn=ISBN13, description="Spice.")
    make_book(bob, title="Emma", author="Jane Austen", year=1815)
    return State(
        alice=alice,
        bob=bob,
        alice_tokens=apis[0].login(alice.username),
        admin_tokens=apis[0].login(admin.username),
        book_id=book_id,
    )


Case = Callable[[Api, State], httpx.Response]


def _book(**overrides: Any) -> dict[str, Any]:
    return {"title": "Dune", "author": "Frank Herbert", "year": 1965, **overrides}


def _as(tokens_of: Callable[[State], Tokens]) -> Callable[[State], dict[str, str]]:
    return lambda s: tokens_of(s).headers


ALICE = _as(lambda s: s.alice_tokens)
ADMIN = _as(lambda s: s.admin_tokens)

# name -> (case, expected status, expected error code)
ERROR_CASES: dict[str, tuple[Case, int, str]] = {
    "bad-json": (
        lambda a, s: a.post(
            "/books", content=b'{"title":', headers={**ALICE(s), "Content-Type": "application/json"}
        ),
        400,
        "bad_request",
    ),
    "json-list-body": (
        lambda a, s: a.post("/books", json=[_book()], headers=ALICE(s)),
        400,
        "bad_request",
    ),
    "wrong-content-type": (
        lambda a, s: a.post(
            "/books", content=b"x", headers={**ALICE(s), "Content-Type": "text/plain"}
        ),
        400,
        "bad_request",
    ),
    "missing-fields": (
        lambda a, s: a.post("/books", json={"title": "Dune"}, headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "empty-body-object": (
        lambda a, s: a.post("/books", json={}, headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "wrong-type-year": (
        lambda a, s: a.post("/books", json=_book(year="abc"), headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "null-year": (
        lambda a, s: a.post("/books", json=_book(year=None), headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "wrong-type-title": (
        lambda a, s: a.post("/books", json=_book(title=["Dune"]), headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "year-out-of-range": (
        lambda a, s: a.post("/books", json=_book(year=1449), headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "bad-isbn": (
        lambda a, s: a.post("/books", json=_book(isbn="978-0-306-40615-8"), headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "every-field-bad": (
        lambda a, s: a.post(
            "/books",
            json={
                "title": "t" * 201,
                "author": "",
                "year": 1200,
                "isbn": "1",
                "description": "d" * 5001,
            },
            headers=ALICE(s),
        ),
        422,
        "validation_error",
    ),
    "put-missing-fields": (
        lambda a, s: a.put(f"/books/{s.book_id}", json={"title": "X"}, headers=ALICE(s)),
        422,
        "validation_error",
    ),
    "bad-sort-field": (lambda a, s: a.get("/books?sort=password"), 422, "validation_error"),
    "bad-sort-direction": (
        lambda a, s: a.get("/books?sort=title:sideways"),
        422,
        "validation_error",
    ),
    "non-integer-year-from": (
        lambda a, s: a.get("/books?year_from=abc"),
        422,
        "validation_error",
    ),
    "page-zero": (lambda a, s: a.get("/books?page=0"), 422, "validation_error"),
    "page-size-101": (lambda a, s: a.get("/books?page_size=101"), 422, "validation_error"),
    "several-bad-parameters": (
        lambda a, s: a.get("/books?page=0&page_size=0&sort=nope&year_to=x"),
        422,
        "validation_error",
    ),
    "register-bad-everything": (
        lambda a, s: a.register("a b", "nope", "123"),
        422,
        "validation_error",
    ),
    "register-missing-fields": (
        lambda a, s: a.post("/auth/register", json={}),
        422,
        "validation_error",
    ),
    "register-weak-password": (
        lambda a, s: a.register("carolina", password="password"),
        422,
        "validation_error",
    ),
    "users-bad-role-filter": (
        lambda a, s: a.get("/users?role=god", headers=ADMIN(s)),
        422,
        "validation_error",
    ),
    "password-change-without-current": (
        lambda a, s: a.patch(
            f"/users/{s.alice.id}", json={"password": "Another-Pass-77"}, headers=ALICE(s)
        ),
        422,
        "validation_error",
    ),
    "refresh-missing-field": (
        lambda a, s: a.post("/auth/refresh", json={}),
        422,
        "validation_error",
    ),
    "unknown-path": (lambda a, s: a.get("/no-such-path"), 404, "not_found"),
    "missing-book": (lambda a, s: a.get("/books/999999"), 404, "not_found"),
    "non-integer-book-id": (lambda a, s: a.get("/books/abc"), 404, "not_found"),
    "admin-missing-user": (
        lambda a, s: a.get("/users/999999", headers=ADMIN(s)),
        404,
        "not_found",
    ),
    "wrong-method-list": (lambda a, s: a.delete("/books"), 405, "method_not_allowed"),
    "wrong-method-detail": (
        lambda a, s: a.post(f"/books/{s.book_id}", json=_book(), headers=ALICE(s)),
        405,
        "method_not_allowed",
    ),
    "wrong-method-me": (lambda a, s: a.delete("/auth/me"), 405, "method_not_allowed"),
    "bf-demo-number-as-username": (
        lambda a, s: a.post("/bf-demo/login", json={"username": 1, "password": "x"}),
        422,
        "validation_error",
    ),
    "bf-demo-missing-password": (
        lambda a, s: a.post("/bf-demo/login", json={"username": "demo"}),
        422,
        "validation_error",
    ),
    "wrong-method-me-authenticated": (
        lambda a, s: a.delete("/auth/me", headers=ALICE(s)),
        405,
        "method_not_allowed",
    ),
    "wrong-method-users": (lambda a, s: a.put("/users"), 405, "method_not_allowed"),
    "wrong-method-logout": (lambda a, s: a.get("/auth/logout"), 405, "method_not_allowed"),
    "wrong-method-token": (lambda a, s: a.get("/auth/token"), 405, "method_not_allowed"),
    "no-token": (lambda a, s: a.get("/auth/me"), 401, "not_authenticated"),
    "anonymous-create": (lambda a, s: a.post("/books", json=_book()), 401, "not_authenticated"),
    "bad-token": (
        lambda a, s: a.get("/auth/me", headers=bearer("not.a.jwt")),
        401,
        "invalid_token",
    ),
    "refresh-token-as-access-token": (
        lambda a, s: a.get("/auth/me", headers=bearer(s.alice_tokens.refresh)),
        401,
        "invalid_token",
    ),
    "users-list-as-user": (
        lambda a, s: a.get("/users", headers=ALICE(s)),
        403,
        "permission_denied",
    ),
    "other-user-detail": (
        lambda a, s: a.get(f"/users/{s.bob.id}", headers=ALICE(s)),
        403,
        "permission_denied",
    ),
    "missing-user-detail-as-user": (
        lambda a, s: a.get("/users/999999", headers=ALICE(s)),
        403,
        "permission_denied",
    ),
    "self-promotion": (
        lambda a, s: a.patch(f"/users/{s.alice.id}", json={"role": "admin"}, headers=ALICE(s)),
        403,
        "permission_denied",
    ),
    "delete-book-as-creator": (
        lambda a, s: a.delete(f"/books/{s.book_id}", headers=ALICE(s)),
        403,
        "permission_denied",
    ),
    "duplicate-username": (
        lambda a, s: a.register("ALICE", "fresh@example.com"),
        409,
        "conflict",
    ),
    "duplicate-email": (
        lambda a, s: a.register("fresh", "ALICE@example.com"),
        409,
        "conflict",
    ),
    "duplicate-isbn": (
        lambda a, s: a.post("/books", json=_book(isbn="0-306-40615-2"), headers=ALICE(s)),
        409,
        "conflict",
    ),
}


@pytest.mark.parametrize("case_name", list(ERROR_CASES))
def test_every_prefix_answers_the_same_error(apis: list[Api], state: State, case_name: str) -> None:
    case, status, code = ERROR_CASES[case_name]
    responses = {api.framework: case(api, state) for api in apis}
    for response in responses.values():
        assert_error(response, status, code)
    answers = {framework: normal_error(response) for framework, response in responses.items()}
    assert len(set(answers.values())) == 1, answers


# --- the token endpoint's RFC 6749 errors --------------------------------------------------------

TOKEN_ERROR_CASES: dict[str, dict[str, str]] = {
    "wrong-password": {"grant_type": "password", "username": "alice", "password": "Nope-123456"},
    "unknown-user": {"grant_type": "password", "username": "nobody", "password": "Nope-123456"},
    "missing-password": {"grant_type": "password", "username": "alice"},
    "unsupported-grant": {"grant_type": "client_credentials"},
    "missing-refresh-token": {"grant_type": "refresh_token"},
    "garbage-refresh-token": {"grant_type": "refresh_token", "refresh_token": "garbage"},
}


@pytest.mark.parametrize("case_name", list(TOKEN_ERROR_CASES))
def test_every_prefix_answers_the_same_token_error(
    apis: list[Api], state: State, case_name: str
) -> None:
    responses = [api.token(**TOKEN_ERROR_CASES[case_name]) for api in apis]
    assert len({response.status_code for response in responses}) == 1
    assert responses[0].status_code == 400
    assert len({normal_error(response) for response in responses}) == 1


def test_a_reused_refresh_token_answers_the_same_everywhere(apis: list[Api], state: State) -> None:
    apis[0].refresh_grant(state.alice_tokens.refresh)
    responses = [api.refresh_grant(state.alice_tokens.refresh) for api in apis]
    assert all(response.status_code == 400 for response in responses)
    assert len({normal_error(response) for response in responses}) == 1


# --- success bodies ------------------------------------------------------------------------------


def _without_prefix(body: Any, prefix: str) -> Any:
    """Links contain the prefix by design; everything else must match."""
    if isinstance(body, dict):
        return {key: _without_prefix(value, prefix) for key, value in body.items()}
    if isinstance(body, list):
        return [_without_prefix(value, prefix) for value in body]
    if isinstance(body, str):
        return body.replace(prefix, "{p}")
    return body


def assert_same_body(apis: list[Api], get: Callable[[Api], httpx.Response]) -> None:
    bodies = []
    for api in apis:
        response = get(api)
        assert response.status_code == 200, (api.prefix, response.text)
        bodies.append(_without_prefix(response.json(), api.prefix))
    assert all(body == bodies[0] for body in bodies), bodies


@pytest.mark.parametrize(
    "query",
    ["", "?sort=year:desc", "?search=dune&page_size=1", "?page=2&page_size=1", "?page=50"],
)
def test_book_lists_are_identical(apis: list[Api], state: State, query: str) -> None:
    assert_same_body(apis, lambda api: api.get(f"/books{query}"))


def test_book_details_are_identical_dates_included(apis: list[Api], state: State) -> None:
    assert_same_body(apis, lambda api: api.get(f"/books/{state.book_id}"))


def test_me_is_identical(apis: list[Api], state: State) -> None:
    assert_same_body(apis, lambda api: api.get("/auth/me", headers=ALICE(state)))


def test_user_details_are_identical(apis: list[Api], state: State) -> None:
    assert_same_body(apis, lambda api: api.get(f"/users/{state.bob.id}", headers=ADMIN(state)))


def test_user_lists_are_identical(apis: list[Api], state: State) -> None:
    assert_same_body(apis, lambda api: api.get("/users?page_size=2", headers=ADMIN(state)))


def test_health_is_identical(apis: list[Api], state: State) -> None:
    assert_same_body(apis, lambda api: api.get("/health"))


def test_patch_answers_are_identical(apis: list[Api], state: State) -> None:
    """The same PATCH twice gives the same book; only updated_at may move."""
    bodies = []
    for api in apis:
        response = api.patch(
            f"/books/{state.book_id}", json={"title": "Dune!"}, headers=ALICE(state)
        )
        assert response.status_code == 200, response.text
        body = response.json()["data"]
        body.pop("updated_at")
        bodies.append(body)
    assert all(body == bodies[0] for body in bodies)


def test_created_books_have_the_same_shape(apis: list[Api], state: State) -> None:
    shapes = []
    for index, api in enumerate(apis):
        response = api.post("/books", json=_book(title=f"Book {index}"), headers=ALICE(state))
        assert response.status_code == 201, response.text
        book = response.json()["data"]
        shapes.append({key: type(value).__name__ for key, value in book.items()})
    assert all(shape == shapes[0] for shape in shapes)


def test_registered_users_have_the_same_shape(apis: list[Api], state: State) -> None:
    shapes = []
    for index, api in enumerate(apis):
        response = api.register(f"newcomer{index}")
        assert response.status_code == 201, response.text
        shapes.append(sorted(response.json()["data"]))
    assert all(shape == shapes[0] for shape in shapes)


# --- one token store, one database ---------------------------------------------------------------


@pytest.mark.parametrize("issuer", PREFIXES, ids=[FRAMEWORK_OF[p] for p in PREFIXES])
def test_a_token_issued_at_one_prefix_works_at_every_prefix(
    apis: list[Api], alice: Account, issuer: str
) -> None:
    issuing = next(api for api in apis if api.prefix == issuer)
    tokens = issuing.login(alice.username)
    for api in apis:
        assert api.get("/auth/me", headers=tokens.headers).status_code == 200


def test_a_refresh_token_from_one_prefix_rotates_at_another(
    apis: list[Api], alice: Account
) -> None:
    tokens = apis[0].login(alice.username)
    assert apis[-1].refresh_grant(tokens.refresh).status_code == 200


def test_a_user_registered_at_one_prefix_logs_in_at_another(apis: list[Api]) -> None:
    assert apis[0].register("wanderer").status_code == 201
    assert apis[-1].password_grant("wanderer", PASSWORD).status_code == 200


def test_a_write_at_one_prefix_is_read_at_once_at_the_others(apis: list[Api], state: State) -> None:
    for api in apis:
        api.get(f"/books/{state.book_id}")  # warm every cache
    for index, writer in enumerate(apis):
        title = f"Title {index}"
        writer.patch(f"/books/{state.book_id}", json={"title": title}, headers=ALICE(state))
        for reader in apis:
            assert reader.get(f"/books/{state.book_id}").json()["data"]["title"] == title
            assert reader.get("/books").json()["data"][0]["title"] == title


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/books"),
        ("POST", "/books/{book_id}"),
        ("PUT", "/auth/me"),
        ("GET", "/auth/token"),
        ("DELETE", "/users"),
        ("GET", "/rl-demo/login-sim"),
        ("OPTIONS", "/books"),
    ],
)
def test_every_prefix_answers_405_with_the_same_allow_header(
    apis: list[Api], state: State, method: str, path: str
) -> None:
    answers = {}
    for api in apis:
        response = api.request(method, path.format(book_id=state.book_id))
        assert_error(response, 405, "method_not_allowed")
        # Which methods are allowed is the contract; DRF's own Allow also names OPTIONS.
        allowed = {m.strip() for m in response.headers["Allow"].split(",")} - {"OPTIONS", "HEAD"}
        answers[api.framework] = (tuple(sorted(allowed)), normal_error(response))
    assert len(set(answers.values())) == 1, answers
