"""DRF's browsable API at /api/drf: for browsers only, logged in by session, CSRF-checked.

API.md: a request whose `Accept` prefers text/html gets DRF's browsable API
with its login page; JSON clients never see it. These tests hold the fence:
the session authenticates browser requests only, so a JSON client holding
the cookie is neither logged in by it nor refused for a missing CSRF token.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import httpx
import pytest
from django.test import override_settings
from starlette.testclient import TestClient

from tests.contract.conftest import Account, Tokens, assert_error, assert_oauth_error

DRF = "/api/drf"
LOGIN = f"{DRF}/session/login"
LOGOUT = f"{DRF}/session/logout"
HTML = {"Accept": "text/html"}
# What the browsable API's own forms send (rest_framework/js/ajax-form.js).
FORM_ACCEPT = {"Accept": "text/html; q=1.0, */*"}
BOOK = {"title": "Dune", "author": "Frank Herbert", "year": 1965}


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _session_login(client: TestClient, username: str, password: str) -> httpx.Response:
    page = client.get(f"{LOGIN}?next={DRF}/books", headers=HTML)
    assert page.status_code == 200
    return client.post(
        f"{LOGIN}?next={DRF}/books",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": _csrf_token(page.text),
        },
        headers=HTML,
        follow_redirects=False,
    )


@pytest.fixture
def logged_in(client: TestClient, alice: Account) -> TestClient:
    """A browser logged in to the browsable API as alice (the client keeps the cookies)."""
    response = _session_login(client, alice.username, alice.password)
    assert response.status_code == 302, response.text[:500]
    assert response.headers["Location"] == f"{DRF}/books"
    assert "sessionid" in client.cookies
    return client


# --- pages ---------------------------------------------------------------------------------


def test_the_books_page_has_filters_page_links_and_a_login_link(
    client: TestClient, alice: Account, make_book: Callable[..., int]
) -> None:
    for number in range(3):
        make_book(alice, title=f"Book {number}")
    page = client.get(f"{DRF}/books?page_size=1&page=2", headers=HTML).text
    assert "Book 1" in page and "Book 0" not in page
    assert 'name="year_from"' in page and 'name="sort"' in page  # django-filter's form
    assert "[invalid name]" not in page  # every filter has a label
    assert "page=3" in page and "page=1" in page  # numbered page links
    assert f"href='{LOGIN}?next={DRF}/books'" in page


def test_a_book_page_offers_its_current_values_to_edit(
    logged_in: TestClient, alice: Account, make_book: Callable[..., int]
) -> None:
    book_id = make_book(alice, title="Emma", author="Jane Austen", year=1815)
    page = logged_in.get(f"{DRF}/books/{book_id}", headers=HTML).text
    assert "&quot;author&quot;: &quot;Jane Austen&quot;" in page  # the PUT/PATCH form
    assert 'data-method="PUT"' in page and 'data-method="PATCH"' in page


def test_the_login_page_is_for_browsers_only(client: TestClient) -> None:
    assert "csrfmiddlewaretoken" in client.get(LOGIN, headers=HTML).text
    for accept in ("application/json", "*/*", "text/plain"):
        assert_error(client.get(LOGIN, headers={"Accept": accept}), 404, "not_found")
    assert_error(client.post(LOGOUT, headers={"Accept": "application/json"}), 404, "not_found")


def test_a_wrong_password_shows_the_form_again(client: TestClient, alice: Account) -> None:
    response = _session_login(client, alice.username, "wrong-password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert "sessionid" not in client.cookies


@override_settings(LOGIN_MAX_FAILURES=2)
def test_the_login_page_counts_failures_with_the_token_endpoint(
    client: TestClient, alice: Account
) -> None:
    """One guard for every password check: the page's failures lock the token endpoint too."""
    for _ in range(2):
        _session_login(client, alice.username, "wrong-password")
    locked = _session_login(client, alice.username, alice.password)
    assert "Too many failed logins" in locked.text
    assert "sessionid" not in client.cookies
    token = client.post(
        f"{DRF}/auth/token", data={"username": alice.username, "password": alice.password}
    )
    assert_oauth_error(token, 429, "locked_out")


def test_logout_ends_the_session(logged_in: TestClient) -> None:
    page = logged_in.get(f"{DRF}/books", headers=HTML).text
    assert "alice" in page
    response = logged_in.post(
        f"{LOGOUT}?next={DRF}/books",
        data={"csrfmiddlewaretoken": _csrf_token(page)},
        headers=HTML,
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert "sessionid" not in logged_in.cookies


# --- the session is for the browsable API only --------------------------------------------


def test_a_browser_form_creates_a_book_with_the_csrf_token(logged_in: TestClient) -> None:
    page = logged_in.get(f"{DRF}/books", headers=HTML).text
    token = re.search(r'"csrfToken": "([^"]+)"', page)
    assert token, page[:500]
    response = logged_in.post(
        f"{DRF}/books",
        json=BOOK,
        headers={**FORM_ACCEPT, "X-CSRFToken": token.group(1)},
    )
    assert response.status_code == 201, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Frank Herbert" in response.text


def test_a_browser_write_without_the_csrf_token_is_refused(logged_in: TestClient) -> None:
    response = logged_in.post(f"{DRF}/books", json=BOOK, headers=FORM_ACCEPT)
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_a_json_client_holding_the_cookie_is_not_logged_in_by_it(logged_in: TestClient) -> None:
    """No session authentication, hence no CSRF check either: a plain 401."""
    response = logged_in.post(f"{DRF}/books", json=BOOK)
    assert_error(response, 401, "not_authenticated")
    assert_error(logged_in.get(f"{DRF}/auth/me"), 401, "not_authenticated")


def test_a_bearer_token_works_beside_the_cookie_without_csrf(
    logged_in: TestClient, alice: Account
) -> None:
    token = logged_in.post(
        f"{DRF}/auth/token", data={"username": alice.username, "password": alice.password}
    )
    tokens = Tokens.from_body(token.json())
    response = logged_in.post(f"{DRF}/books", json=BOOK, headers=tokens.headers)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["title"] == "Dune"


# --- the API root and the trailing-slash rule ---------------------------------------------


def test_the_api_root_links_every_resource_for_browsers_and_json_clients(
    client: TestClient,
) -> None:
    page = client.get(f"{DRF}/", headers=HTML)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    for path in ("books", "users", "auth/token", "auth/me", "auth/register", "docs"):
        assert f'href="http://testserver{DRF}/{path}"' in page.text, path
    body = client.get(f"{DRF}/").json()  # a JSON client: the same links, as JSON
    assert body["books"] == f"http://testserver{DRF}/books"
    assert body["auth/token"] == f"http://testserver{DRF}/auth/token"


def test_a_trailing_slash_redirects_browsers_and_is_a_404_for_json_clients(
    client: TestClient,
) -> None:
    response = client.get(f"{DRF}/books/?page=2", headers=HTML, follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == f"{DRF}/books?page=2"
    assert_error(client.get(f"{DRF}/books/"), 404, "not_found")
    assert_error(client.get(f"{DRF}/auth/me/"), 404, "not_found")
    # A browser's POST is not redirected (its body would be lost): the same 404.
    assert_error(client.post(f"{DRF}/books/", json=BOOK, headers=HTML), 404, "not_found")


# --- forms only for what the visitor may do (BookPermission) -------------------------------

POST_FORM = 'id="post-object-form"'
RAW_POST_FORM = 'id="post-generic-content-form"'
PUT_FORM = 'id="put-object-form"'
PATCH_FORM = 'data-method="PATCH"'
DELETE_BUTTON = 'data-method="DELETE"'


def _forms(page: str) -> set[str]:
    markers = {
        "POST": POST_FORM, "raw POST": RAW_POST_FORM, "PUT": PUT_FORM,
        "PATCH": PATCH_FORM, "DELETE": DELETE_BUTTON,
    }
    return {name for name, marker in markers.items() if marker in page}


def test_an_anonymous_visitor_sees_no_forms(
    client: TestClient, alice: Account, make_book: Callable[..., int]
) -> None:
    book_id = make_book(alice, title="Emma")
    assert _forms(client.get(f"{DRF}/books", headers=HTML).text) == set()
    assert _forms(client.get(f"{DRF}/books/{book_id}", headers=HTML).text) == set()


def test_a_user_may_create_and_edit_their_own_book_but_not_delete_it(
    logged_in: TestClient, alice: Account, make_book: Callable[..., int]
) -> None:
    book_id = make_book(alice, title="Emma")
    assert _forms(logged_in.get(f"{DRF}/books", headers=HTML).text) == {"POST", "raw POST"}
    page = logged_in.get(f"{DRF}/books/{book_id}", headers=HTML).text
    assert _forms(page) == {"PUT", "PATCH"}


def test_a_user_gets_no_forms_for_someone_elses_book(
    client: TestClient, alice: Account, bob: Account, make_book: Callable[..., int]
) -> None:
    book_id = make_book(alice, title="Emma")
    assert _session_login(client, bob.username, bob.password).status_code == 302
    assert _forms(client.get(f"{DRF}/books/{book_id}", headers=HTML).text) == set()


def test_an_admin_may_edit_and_delete_any_book(
    client: TestClient, alice: Account, admin: Account, make_book: Callable[..., int]
) -> None:
    book_id = make_book(alice, title="Emma")
    assert _session_login(client, admin.username, admin.password).status_code == 302
    assert _forms(client.get(f"{DRF}/books/{book_id}", headers=HTML).text) == {
        "PUT", "PATCH", "DELETE"
    }


def test_a_missing_book_offers_no_forms(logged_in: TestClient) -> None:
    page = logged_in.get(f"{DRF}/books/999999", headers=HTML)
    assert page.status_code == 404
    assert _forms(page.text) == set()


# --- the HTML form and the raw-data form ---------------------------------------------------


def test_the_html_form_has_real_fields_and_creates_a_book(logged_in: TestClient) -> None:
    page = logged_in.get(f"{DRF}/books", headers=HTML).text
    form = page[page.index(POST_FORM):]
    for name in ("title", "author", "year", "isbn", "description"):
        assert f'name="{name}"' in form, name
    response = logged_in.post(
        f"{DRF}/books",
        files={"_": ("", b"")},  # multipart, as the page's form sends it
        data={"title": "Middlemarch", "author": "George Eliot", "year": "1871",
              "isbn": "", "description": "", "csrfmiddlewaretoken": _csrf_token(page)},
        headers=HTML,
    )
    assert response.status_code == 201, response.text[-2000:]
    book = logged_in.get(f"{DRF}/books?title_contains=Middlemarch").json()["data"][0]
    assert (book["year"], book["isbn"], book["description"]) == (1871, None, "")


def test_the_raw_data_form_starts_from_a_body_that_is_valid_as_sent(
    logged_in: TestClient,
) -> None:
    page = logged_in.get(f"{DRF}/books", headers=HTML).text
    raw = page[page.index(RAW_POST_FORM):]
    match = re.search(r"<textarea[^>]*>(.*?)</textarea>", raw, re.S)
    assert match
    body = json.loads(html.unescape(match.group(1)))
    assert None not in body.values()
    response = logged_in.post(
        f"{DRF}/books", json=body,
        headers={**FORM_ACCEPT, "X-CSRFToken": re.search(r'"csrfToken": "([^"]+)"', page)[1]},
    )
    assert response.status_code == 201, response.text[-2000:]


def test_a_json_client_cannot_post_a_form(client: TestClient, alice: Account) -> None:
    tokens = client.post(
        f"{DRF}/auth/token", data={"username": alice.username, "password": alice.password}
    )
    headers = Tokens.from_body(tokens.json()).headers
    response = client.post(
        f"{DRF}/books", files={"_": ("", b"")}, data={"title": "x"}, headers=headers
    )
    assert_error(response, 400, "bad_request")


# --- a bad filter keeps the filter form and a way back -------------------------------------


def test_a_bad_filter_keeps_the_filter_form_and_a_link_to_the_first_page(
    client: TestClient,
) -> None:
    page = client.get(f"{DRF}/books?year_from=abc&search=dune", headers=HTML)
    assert page.status_code == 422
    assert 'data-target="#filtersModal"' in page.text  # DRF's "Filters" button
    assert 'name="year_from"' in page.text and 'value="dune"' in page.text
    assert f'href="http://testserver{DRF}/books"' in page.text  # the pager: page 1


def test_user_pages_offer_forms_only_to_the_user_and_to_admins(
    client: TestClient, alice: Account, bob: Account, admin: Account
) -> None:
    alice_page = f"{DRF}/users/{alice.id}"
    page = client.get(alice_page, headers=HTML)
    assert page.status_code == 401 and _forms(page.text) == set()
    assert _session_login(client, bob.username, bob.password).status_code == 302
    page = client.get(alice_page, headers=HTML)
    assert page.status_code == 403 and _forms(page.text) == set()
    assert _forms(client.get(f"{DRF}/users/{bob.id}", headers=HTML).text) == {"PATCH", "DELETE"}
    client.cookies.clear()
    assert _session_login(client, admin.username, admin.password).status_code == 302
    assert _forms(client.get(alice_page, headers=HTML).text) == {"PATCH", "DELETE"}
