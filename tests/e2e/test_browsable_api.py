"""In a real browser: DRF's browsable API, as an anonymous visitor, a user and an admin.

    /api/drf/                  the API root: a link to every resource
    /api/drf/books             the list, its filter form and page links
    /api/drf/books/            a browser is sent to /api/drf/books
    /api/drf/session/login     DRF's login page (a Django session, browsers only)
    the HTML and raw forms     POST /api/drf/books with the session and CSRF token

Forms appear only for what the visitor may do (BookPermission, through DRF's
`show_form_for_method`): none for an anonymous visitor, no PUT and no DELETE
on someone else's book for a user, DELETE for an admin.

Screenshots of each step land in the test's tmp_path, to look at when a
page changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from accounts.models import User
from books.models import Book
from tests.e2e.conftest import PASSWORD, open_page

BOOKS = "/api/drf/books"


@pytest.fixture
def bob(transactional_db: None) -> User:
    return User.objects.create_user(username="bob", email="bob@example.com", password=PASSWORD)


@pytest.fixture
def root(transactional_db: None) -> User:
    return User.objects.create_user(
        username="root", email="root@example.com", password=PASSWORD, role="admin"
    )


@pytest.fixture
def library(alice: User) -> list[Book]:
    return [
        Book.objects.create(title=title, author=author, year=year, created_by=alice)
        for title, author, year in [
            ("The Hobbit", "J. R. R. Tolkien", 1937),
            ("Dune", "Frank Herbert", 1965),
            ("Emma", "Jane Austen", 1815),
        ]
    ]


def _screenshot(tmp_path: Path) -> Callable[[Page, str], None]:
    def shoot(page: Page, name: str) -> None:
        page.screenshot(path=tmp_path / f"{name}.png", full_page=True)

    return shoot


# Fixture order matters: rows are written before Playwright starts its event
# loop on this thread (Django refuses ORM calls from inside a running loop).
def test_lists_filters_and_pages_books(
    server: str, library: list[Book], browser: Browser, tmp_path: Path
) -> None:
    shoot = _screenshot(tmp_path)
    page, elsewhere = open_page(browser, f"{server}{BOOKS}?page_size=2", server)
    assert "Books API" in page.title()
    response = page.locator(".response-info")
    assert "HTTP 200 OK" in response.inner_text()
    assert "The Hobbit" in response.inner_text() and "Emma" not in response.inner_text()
    shoot(page, "1-list")

    # Page links, from the envelope's `links`.
    page.locator(".pagination a", has_text="2").first.click()
    page.wait_for_load_state()
    assert "Emma" in page.locator(".response-info").inner_text()

    # django-filter's form, in DRF's "Filters" dialog.
    page.get_by_role("button", name="Filters").click()
    page.fill("input[name=search]", "dune")
    shoot(page, "2-filters")
    page.locator("#filtersModal button[type=submit]").click()
    page.wait_for_load_state()
    text = page.locator(".response-info").inner_text()
    assert "Dune" in text and "The Hobbit" not in text
    assert elsewhere == []


def test_logs_in_and_creates_a_book_through_the_form(
    server: str, alice: User, browser: Browser, tmp_path: Path
) -> None:
    shoot = _screenshot(tmp_path)
    page, elsewhere = open_page(browser, f"{server}{BOOKS}", server)

    # DRF's login page, then back to the list, logged in.
    page.get_by_role("link", name="Log in").click()
    page.wait_for_url(f"**/api/drf/session/login?next={BOOKS}")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    shoot(page, "3-login")
    page.locator("#submit-id-submit").click()
    page.wait_for_url(f"**{BOOKS}")
    assert page.locator(".navbar .dropdown-toggle", has_text="alice").is_visible()

    # The raw-data form, pre-filled with a valid example: fill it and POST.
    page.locator("#post-object-form, #post-generic-content-form").first.wait_for(state="attached")
    page.get_by_role("link", name="Raw data").first.click()
    content = page.locator("#post-generic-content-form #id__content")
    assert json.loads(content.input_value()).keys() >= {"title", "author", "year"}
    book = {"title": "Middlemarch", "author": "George Eliot", "year": 1871}
    content.fill(json.dumps(book))
    shoot(page, "4-form")
    page.locator("#post-generic-content-form button", has_text="POST").click()
    page.locator(".response-info", has_text="HTTP 201 Created").wait_for(timeout=10_000)
    shoot(page, "5-created")

    # Read back as a JSON client would (no ORM here: this thread runs Playwright's loop).
    answer = page.request.get(f"{server}{BOOKS}?title_contains=Middlemarch")
    assert answer.headers["content-type"] == "application/json"
    [created] = answer.json()["data"]
    assert {key: created[key] for key in book} == book
    assert created["created_by"] == alice.pk
    assert elsewhere == []


def _log_in(page: Page, username: str) -> None:
    """DRF's login page, then back to the books list, logged in."""
    page.get_by_role("link", name="Log in").click()
    page.wait_for_url("**/api/drf/session/login?next=**")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#submit-id-submit").click()
    page.wait_for_url(f"**{BOOKS}")
    assert page.locator(".navbar .dropdown-toggle", has_text=username).is_visible()


def _has(page: Page, selector: str) -> bool:
    return page.locator(selector).count() > 0


POST_FORM = "#post-object-form form"
PUT_FORM = "#put-object-form form"
DELETE_BUTTON = "button[data-target='#deleteModal']"


def test_an_anonymous_visitor_starts_at_the_root_and_sees_no_forms(
    server: str, library: list[Book], browser: Browser, tmp_path: Path
) -> None:
    shoot = _screenshot(tmp_path)
    page, elsewhere = open_page(browser, f"{server}/api/drf/", server)
    assert "HTTP 200 OK" in page.locator(".response-info").inner_text()
    for name in ("books", "users", "auth/token", "auth/me", "docs"):
        assert page.locator(f"a[href='{server}/api/drf/{name}']").count() == 1, name
    shoot(page, "6-root")

    page.locator(f"a[href='{server}{BOOKS}']").click()
    page.wait_for_url(f"**{BOOKS}")
    assert "The Hobbit" in page.locator(".response-info").inner_text()
    assert not _has(page, POST_FORM) and not _has(page, "#post-generic-content-form")

    page.goto(f"{server}/api/drf/books/{library[0].pk}")
    assert not _has(page, PUT_FORM) and not _has(page, DELETE_BUTTON)

    # The trailing slash: the browser lands on the path without it.
    page.goto(f"{server}{BOOKS}/?page_size=1")
    assert page.url == f"{server}{BOOKS}?page_size=1"
    assert elsewhere == []


def test_a_bad_filter_keeps_the_filters_button_and_the_pager(
    server: str, library: list[Book], browser: Browser, tmp_path: Path
) -> None:
    page, elsewhere = open_page(browser, f"{server}{BOOKS}?sort=nope&year_from=1800", server)
    assert "HTTP 422" in page.locator(".response-info").inner_text()
    _screenshot(tmp_path)(page, "7-bad-filter")

    # The Filters dialog still opens, with what was sent: fix the filter in place.
    page.get_by_role("button", name="Filters").click()
    assert page.locator("#filtersModal input[name=year_from]").input_value() == "1800"
    field = page.locator("#filtersModal input[name=sort]")
    assert field.input_value() == "nope"
    field.fill("year:desc")
    page.locator("#filtersModal button[type=submit]").click()
    page.wait_for_load_state()
    text = page.locator(".response-info").inner_text()
    assert "HTTP 200 OK" in text
    assert text.index("Dune") < text.index("The Hobbit") < text.index("Emma")

    # And the pager's link back to page 1, from the error page.
    page.goto(f"{server}{BOOKS}?sort=nope")
    page.locator(".pagination a", has_text="1").click()
    page.wait_for_url(f"{server}{BOOKS}")
    assert "HTTP 200 OK" in page.locator(".response-info").inner_text()
    assert elsewhere == []


def test_a_user_fills_the_html_form_and_gets_no_forms_on_someone_elses_book(
    server: str, library: list[Book], bob: User, browser: Browser, tmp_path: Path
) -> None:
    shoot = _screenshot(tmp_path)
    page, elsewhere = open_page(browser, f"{server}{BOOKS}", server)
    _log_in(page, "bob")

    # Alice's book: bob may read it, not change or delete it.
    page.goto(f"{server}{BOOKS}/{library[0].pk}")
    assert "The Hobbit" in page.locator(".response-info").inner_text()
    assert not _has(page, PUT_FORM) and not _has(page, DELETE_BUTTON)
    assert not _has(page, "form[data-method='PATCH']")
    shoot(page, "8-someone-elses-book")

    # The HTML form: real fields, the year already filled in; send it as it is, plus a title.
    page.goto(f"{server}{BOOKS}")
    page.get_by_role("link", name="HTML form").click()
    form = page.locator(POST_FORM)
    assert form.locator("input[name=year]").input_value().isdigit()
    form.locator("input[name=title]").fill("Middlemarch")
    form.locator("input[name=author]").fill("George Eliot")
    form.locator("input[name=year]").fill("1871")
    shoot(page, "9-html-form")
    form.get_by_role("button", name="POST").click()
    page.locator(".response-info", has_text="HTTP 201 Created").wait_for(timeout=10_000)

    # Bob's own book: now he gets the PUT form, still no DELETE (admins only).
    created = page.request.get(f"{server}{BOOKS}?title_contains=Middlemarch").json()["data"][0]
    page.goto(f"{server}{BOOKS}/{created['id']}")
    assert _has(page, PUT_FORM) and not _has(page, DELETE_BUTTON)
    assert page.locator(f"{PUT_FORM} input[name=title]").input_value() == "Middlemarch"
    assert elsewhere == []


def test_an_admin_deletes_someone_elses_book(
    server: str, library: list[Book], root: User, browser: Browser, tmp_path: Path
) -> None:
    page, elsewhere = open_page(browser, f"{server}{BOOKS}", server)
    _log_in(page, "root")
    url = f"{server}{BOOKS}/{library[1].pk}"
    page.goto(url)
    assert _has(page, PUT_FORM)
    page.locator(DELETE_BUTTON).click()
    page.locator("#deleteModal button", has_text="Delete").click()
    page.locator(".response-info", has_text="HTTP 204 No Content").wait_for(timeout=10_000)
    _screenshot(tmp_path)(page, "10-deleted")
    assert page.request.get(url).status == 404
    assert elsewhere == []
