"""In a real browser: DRF's browsable API lists books, logs in, and creates a book.

    /api/drf/books             the list, its filter form and page links
    /api/drf/session/login     DRF's login page (a Django session, browsers only)
    the raw-data form          POST /api/drf/books with the session and CSRF token

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

    # The raw-data form, pre-filled by the view's serializer: fill it and POST.
    content = page.locator("#id__content")
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
