"""Authenticated cached reads: no query per request, and revocation still immediate.

GET {p}/books with a Bearer token trusts a snapshot of the login
(accounts/token_snapshots.py) instead of asking the database each time. These
tests warm the snapshot first (three reads: stamp, snapshot, then trusted),
then revoke in every way the contract names and check that the very next read
at every prefix is a 401, as if the database had been asked.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import Account, Api, Tokens, assert_error, bearer


def warm(apis: list[Api], tokens: Tokens) -> None:
    for api in apis:
        for _ in range(3):
            response = api.get("/books", headers=tokens.headers)
            assert response.status_code == 200, response.text


def refused_everywhere(apis: list[Api], tokens: Tokens) -> None:
    for api in apis:
        response = api.get("/books", headers=tokens.headers)
        assert_error(response, 401, "invalid_token")
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_warm_authenticated_hit_asks_the_database_nothing(
    apis: list[Api], alice: Account
) -> None:
    tokens = apis[0].login(alice.username)
    warm(apis, tokens)
    for api in apis:
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/books", headers=tokens.headers)
        assert response.status_code == 200
        assert response.headers["X-Cache"] == "HIT"
        assert len(queries) == 0, [q["sql"] for q in queries]


def test_logout_refuses_the_access_token_on_cached_reads_at_once(
    apis: list[Api], alice: Account
) -> None:
    tokens = apis[0].login(alice.username)
    warm(apis, tokens)
    response = apis[1].post("/auth/logout", headers=tokens.headers,
                            json={"refresh_token": tokens.refresh})
    assert response.status_code == 204
    refused_everywhere(apis, tokens)


@pytest.mark.parametrize("change", ["deactivate", "password", "delete"])
def test_a_changed_user_is_refused_on_cached_reads_at_once(
    apis: list[Api], alice: Account, admin: Account, change: str
) -> None:
    tokens = apis[0].login(alice.username)
    admin_tokens = apis[0].login(admin.username)
    warm(apis, tokens)
    path = f"/users/{alice.id}"
    if change == "deactivate":
        response = apis[2].patch(path, headers=admin_tokens.headers, json={"is_active": False})
    elif change == "password":
        response = apis[2].patch(path, headers=tokens.headers, json={
            "password": "An0ther-Long-Passphrase", "current_password": alice.password})
    else:
        response = apis[2].delete(path, headers=tokens.headers)
    assert response.status_code in (200, 204), response.text
    refused_everywhere(apis, tokens)


def test_reuse_of_a_refresh_token_refuses_the_family_on_cached_reads(
    apis: list[Api], alice: Account
) -> None:
    tokens = apis[0].login(alice.username)
    warm(apis, tokens)
    assert apis[0].refresh_grant(tokens.refresh).status_code == 200
    assert apis[1].refresh_grant(tokens.refresh).status_code == 400  # reuse: family revoked
    refused_everywhere(apis, tokens)


def test_a_revoked_token_spends_no_budget(
    apis: list[Api], alice: Account
) -> None:
    tokens = apis[0].login(alice.username)
    apis[0].post("/auth/logout", headers=tokens.headers)
    before = apis[0].get("/books", headers=bearer(tokens.access))
    assert before.status_code == 401
    fresh = apis[0].login(alice.username)
    remaining = [
        int(api.get("/books", headers=fresh.headers).headers["RateLimit"].split("r=")[1]
            .split(";")[0])
        for api in apis
    ]
    # One budget across prefixes, and the 401 above took nothing from it.
    assert remaining == [remaining[0], remaining[0] - 1, remaining[0] - 2]
    for _ in range(3):
        assert apis[1].get("/books", headers=bearer(tokens.access)).status_code == 401
    after = apis[0].get("/books", headers=fresh.headers)
    assert int(after.headers["RateLimit"].split("r=")[1].split(";")[0]) == remaining[2] - 1


def test_admin_revoking_a_family_refuses_it_on_cached_reads(
    apis: list[Api], alice: Account
) -> None:
    from accounts.models import TokenFamily
    from accounts.tokens import token_service

    tokens = apis[0].login(alice.username)
    warm(apis, tokens)
    token_service.revoke_families(TokenFamily.objects.filter(user_id=alice.id))
    refused_everywhere(apis, tokens)


def test_a_user_saved_outside_the_api_is_checked_again(
    apis: list[Api], alice: Account
) -> None:
    from accounts.models import User

    tokens = apis[0].login(alice.username)
    warm(apis, tokens)
    user = User.objects.get(pk=alice.id)
    user.is_active = False
    user.save()  # a shell or the admin: no API call at all
    refused_everywhere(apis, tokens)
