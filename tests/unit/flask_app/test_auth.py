"""auth.py and ratelimit.py: who is calling, checked before the limiter counts."""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import PASSWORD, PREFIX


def test_no_token_is_401_with_a_bare_bearer_challenge(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/auth/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_bad_token_is_401_invalid_token_before_the_rate_limit(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/books", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "RateLimit" not in response.headers  # refused before any budget was spent


def test_a_missing_path_or_method_wins_over_a_bad_token(client: TestClient) -> None:
    bad = {"Authorization": "Bearer not.a.jwt"}
    assert client.get(f"{PREFIX}/nope", headers=bad).status_code == 404
    assert client.delete(f"{PREFIX}/books", headers=bad).status_code == 405


def test_endpoints_that_authenticate_nobody_ignore_a_stale_token(client: TestClient, alice) -> None:
    stale = {"Authorization": "Bearer expired.or.junk"}
    token = client.post(
        f"{PREFIX}/auth/token", data={"username": "alice", "password": PASSWORD}, headers=stale
    )
    assert token.status_code == 200
    assert token.headers["Cache-Control"] == "no-store"
    assert client.post(f"{PREFIX}/auth/register", json={}, headers=stale).status_code == 422
    assert client.get(f"{PREFIX}/health", headers=stale).status_code == 200
    assert client.get(f"{PREFIX}/docs", headers=stale).status_code == 200


def test_admin_only_is_403_for_a_user_before_the_rate_limit(
    client: TestClient, alice_headers: dict[str, str]
) -> None:
    response = client.get(f"{PREFIX}/users", headers=alice_headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "RateLimit" not in response.headers


def test_an_anonymous_write_is_401_before_the_rate_limit(client: TestClient) -> None:
    """@login_required sits above @rate_limited: the refusal spends no budget."""
    response = client.post(f"{PREFIX}/books", json={})
    assert response.status_code == 401
    assert "RateLimit" not in response.headers


def test_a_write_to_someone_elses_book_is_403_before_the_rate_limit(
    client: TestClient, alice_headers: dict[str, str]
) -> None:
    from accounts.models import User
    from books.models import Book

    bob = User.objects.create_user(username="bob", email="bob@example.com", password=PASSWORD)
    book = Book.objects.create(title="Dune", author="F. H.", year=1965, created_by=bob)
    response = client.patch(f"{PREFIX}/books/{book.pk}", json={"title": "x"},
                            headers=alice_headers)
    assert response.status_code == 403
    assert "RateLimit" not in response.headers


def test_a_non_admin_asking_for_another_user_is_403_before_the_rate_limit(
    client: TestClient, alice_headers: dict[str, str]
) -> None:
    response = client.get(f"{PREFIX}/users/987654", headers=alice_headers)
    assert response.status_code == 403
    assert "RateLimit" not in response.headers


def test_authenticated_requests_spend_the_users_budget(
    client: TestClient, alice_headers: dict[str, str]
) -> None:
    response = client.get(f"{PREFIX}/auth/me", headers=alice_headers)
    assert response.status_code == 200
    assert response.headers["RateLimit-Policy"].startswith('"user"')
