"""Black-box contract tests: the same HTTP contract (docs/API.md) at every prefix.

Every test talks HTTP to `config.asgi.application`, in process, through
Starlette's TestClient. Tests that depend on one framework take the `api`
fixture, which is parametrised over PREFIXES; tests that compare frameworks
take `apis` (one `Api` per prefix) instead.

The ASGI app runs the ORM on worker threads, so every test uses
`transactional_db`: rows created inside the `db` fixture's transaction would
be invisible to those threads.

Adding a framework is one line: append its prefix to PREFIXES.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():
    # Starlette prefers the `httpx2` fork; plain httpx works the same here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PREFIXES = ["/api/drf", "/api/fastapi", "/api/flask"]
FRAMEWORK_OF = {"/api/drf": "drf", "/api/fastapi": "fastapi", "/api/flask": "flask"}

# Passes Django's password validators (length, common, numeric, similarity).
PASSWORD = "Tr0mbone-Quartz-Lantern"
NEW_PASSWORD = "Velvet-Harbor-9-Compass"

# The peer address TestClient reports; an IP, as a real server would see.
DEFAULT_PEER = "127.0.0.1"


# --- the client ----------------------------------------------------------------


def make_client(peer: str = DEFAULT_PEER) -> TestClient:
    """A TestClient whose requests come from `peer` (ASGI scope["client"])."""
    return TestClient(_application(), base_url="http://testserver", client=(peer, 50000))


def _application() -> Any:
    from config.asgi import application

    return application


@dataclass
class Api:
    """One prefix of the API, over one client: `api.get("/books")`."""

    client: TestClient
    prefix: str

    @property
    def framework(self) -> str:
        return FRAMEWORK_OF[self.prefix]

    def url(self, path: str) -> str:
        return f"{self.prefix}{path}"

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    def with_peer(self, peer: str) -> Api:
        """The same prefix, seen as coming from another client address."""
        return Api(make_client(peer), self.prefix)

    # --- auth helpers ---

    def token(self, **form: str) -> httpx.Response:
        """POST the OAuth2 token endpoint, form-encoded."""
        return self.post("/auth/token", data=form)

    def password_grant(self, username: str, password: str = PASSWORD) -> httpx.Response:
        return self.token(grant_type="password", username=username, password=password)

    def refresh_grant(self, refresh_token: str) -> httpx.Response:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token)

    def login(self, username: str, password: str = PASSWORD) -> Tokens:
        response = self.password_grant(username, password)
        assert response.status_code == 200, response.text
        return Tokens.from_body(response.json())

    def register(
        self, username: str, email: str | None = None, password: str = PASSWORD
    ) -> httpx.Response:
        email = email if email is not None else f"{username}@example.com"
        return self.post(
            "/auth/register", json={"username": username, "email": email, "password": password}
        )


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Tokens:
        return cls(access=body["access_token"], refresh=body["refresh_token"])

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Account:
    """A user created directly in the database, with the password in clear."""

    id: int
    username: str
    email: str
    password: str = PASSWORD
    extra: dict[str, Any] = field(default_factory=dict)


# --- fixtures -------------------------------------------------------------------


@pytest.fixture
def client(transactional_db: None) -> Iterator[TestClient]:
    with make_client() as test_client:
        yield test_client


@pytest.fixture(params=PREFIXES, ids=[FRAMEWORK_OF[p] for p in PREFIXES])
def prefix(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def api(client: TestClient, prefix: str) -> Api:
    return Api(client, prefix)


@pytest.fixture
def apis(client: TestClient) -> list[Api]:
    """One Api per prefix, sharing one client: for cross-framework comparisons."""
    return [Api(client, p) for p in PREFIXES]


@pytest.fixture
def other_api(client: TestClient, prefix: str) -> Api:
    """A prefix other than `api`'s: for "written here, read there" tests."""
    others = [p for p in PREFIXES if p != prefix]
    return Api(client, others[0])


@pytest.fixture
def make_user(transactional_db: None) -> Callable[..., Account]:
    def _make(
        username: str,
        *,
        role: str = "user",
        email: str | None = None,
        password: str = PASSWORD,
        is_active: bool = True,
    ) -> Account:
        from accounts.models import User

        email = email or f"{username.lower()}@example.com"
        user = User.objects.create_user(
            username=username, email=email, password=password, role=role, is_active=is_active
        )
        return Account(id=user.id, username=username, email=email, password=password)

    return _make


@pytest.fixture
def alice(make_user: Callable[..., Account]) -> Account:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Callable[..., Account]) -> Account:
    return make_user("bob")


@pytest.fixture
def admin(make_user: Callable[..., Account]) -> Account:
    return make_user("root", role="admin")


@pytest.fixture
def alice_tokens(api: Api, alice: Account) -> Tokens:
    return api.login(alice.username)


@pytest.fixture
def bob_tokens(api: Api, bob: Account) -> Tokens:
    return api.login(bob.username)


@pytest.fixture
def admin_tokens(api: Api, admin: Account) -> Tokens:
    return api.login(admin.username)


@pytest.fixture
def make_book(transactional_db: None) -> Callable[..., int]:
    """Create a book through the ORM; returns its id."""

    def _make(
        creator: Account,
        title: str = "Dune",
        author: str = "Frank Herbert",
        year: int = 1965,
        isbn: str | None = None,
        description: str = "",
    ) -> int:
        from books.models import Book

        book = Book.objects.create(
            title=title,
            author=author,
            year=year,
            isbn=isbn,
            description=description,
            created_by_id=creator.id,
        )
        return book.id

    return _make


# --- assertions and helpers -----------------------------------------------------------


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of the contract's envelope (asserting the shape)."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    expected_keys = (
        {"code", "message", "details"}
        if error.get("code") == "validation_error"
        else {
            "code",
            "message",
        }
    )
    assert set(error) == expected_keys, body
    assert isinstance(error["message"], str) and error["message"], body
    return error


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    error = error_of(response)
    assert error["code"] == code, error
    return error


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """RFC 6749 §5.2: {"error": "...", "error_description": "..."} and no-store."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body.get("error") == error, body
    assert set(body) <= {"error", "error_description", "error_uri"}, body
    assert "no-store" in response.headers.get("Cache-Control", ""), response.headers
    return body


def detail_fields(response: httpx.Response) -> list[str]:
    return [d["field"] for d in error_of(response)["details"]]


def normal_error(response: httpx.Response) -> tuple[int, str, tuple[str, ...]]:
    """What every prefix must agree on for an error: status, code and detail fields.

    The wording of messages is each framework's own (docs/API.md), so it is left out.
    An OAuth2 token-endpoint error (RFC 6749) has no details: its `error` is the code.
    """
    body = response.json()
    if isinstance(body.get("error"), str):
        return response.status_code, body["error"], ()
    error = error_of(response)
    fields = tuple(sorted(detail["field"] for detail in error.get("details", [])))
    return response.status_code, error["code"], fields


def detail_message(response: httpx.Response, field_name: str) -> str:
    for detail in error_of(response)["details"]:
        if detail["field"] == field_name:
            return detail["message"]
    raise AssertionError(f"no detail for {field_name!r} in {response.text}")


def register_and_login(client: httpx.Client) -> dict[str, str]:
    """A new account through `client` (a real server's prefix), logged in: its Bearer header.

    Asserts each step, and that `/auth/me` accepts the token at once.
    """
    username = f"u{uuid.uuid4().hex[:12]}"
    registered = client.post("/auth/register", json={
        "username": username, "email": f"{username}@example.com", "password": PASSWORD,
    })
    assert registered.status_code == 201, registered.text
    login = client.post("/auth/token", data={
        "grant_type": "password", "username": username, "password": PASSWORD,
    })
    assert login.status_code == 200, login.text
    headers = bearer(login.json()["access_token"])
    me = client.get("/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    return headers


def run_in_parallel(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    """Run every call at once (released together by a barrier); results in order."""
    barrier = threading.Barrier(len(calls))

    def _run(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(_run, calls))
