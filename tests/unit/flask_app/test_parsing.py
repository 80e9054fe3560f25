"""parsing.py: query strings read from `request.args`, refused with the parameter's name."""

from __future__ import annotations

import pytest
from flask import Flask

from books.listing import BookFilters
from common.constraints import MAX_PAGE_SIZE, SEARCH_MAX
from common.errors import ValidationFailed
from mounted_apis.flask_app.parsing import (
    MSG_NOT_A_NUMBER,
    MSG_REPEATED,
    book_list_args,
    user_list_args,
)


def _refused(app: Flask, query: str, reader=book_list_args) -> list[tuple[str, str]]:
    with app.test_request_context(f"/books?{query}"), pytest.raises(ValidationFailed) as caught:
        reader()
    return [(detail.field, detail.message) for detail in caught.value.details]


def test_the_list_arguments_become_the_domains_values(flask_app: Flask) -> None:
    query = "search=dune&author=Frank%20Herbert&year_from=1960&sort=year:desc,title&page=2"
    with flask_app.test_request_context(f"/books?{query}"):
        args = book_list_args()
    assert args.filters == BookFilters(search="dune", author="Frank Herbert", year_from=1960)
    assert args.sort == (("year", "desc"), ("title", "asc"))
    assert (args.paging.page, args.paging.page_size) == (2, 20)
    assert not args.cursor_mode


def test_nothing_given_is_the_defaults(flask_app: Flask) -> None:
    with flask_app.test_request_context("/books?search=&sort="):
        args = book_list_args()
    assert args.filters == BookFilters()
    assert args.sort == (("id", "asc"),)


@pytest.mark.parametrize("value", ["２", "٢", "۱۹۹۰", "2.0", "", "two", "1e3"])
def test_a_number_is_ascii_digits(flask_app: Flask, value: str) -> None:
    assert _refused(flask_app, f"page={value}") == [("page", MSG_NOT_A_NUMBER)]


def test_bounds_and_repeats_name_their_parameter(flask_app: Flask) -> None:
    assert [f for f, _ in _refused(flask_app, f"page_size={MAX_PAGE_SIZE + 1}")] == ["page_size"]
    assert [f for f, _ in _refused(flask_app, "page=0")] == ["page"]
    assert [f for f, _ in _refused(flask_app, "year_to=1200")] == ["year_to"]
    assert _refused(flask_app, "sort=id&sort=year") == [("sort", MSG_REPEATED)]


@pytest.mark.parametrize("sort", ["title:", "title:up", ":asc", "title,", "title,title"])
def test_a_sort_outside_the_allowlist_is_refused(flask_app: Flask, sort: str) -> None:
    assert [field for field, _ in _refused(flask_app, f"sort={sort}")] == ["sort"]


def test_every_bad_parameter_is_named_in_the_documented_order(flask_app: Flask) -> None:
    query = f"page=x&search={'a' * (SEARCH_MAX + 1)}&author=%00&sort=nope"
    assert [field for field, _ in _refused(flask_app, query)] == [
        "search", "author", "sort", "page"]


def test_the_user_list_reads_its_own_parameters(flask_app: Flask) -> None:
    with flask_app.test_request_context("/users?role=admin&is_active=false&page_size=5"):
        assert user_list_args().as_params() == {
            "role": "admin", "is_active": "false", "page": "1", "page_size": "5"}
    assert [f for f, _ in _refused(flask_app, "role=root&is_active=yes&page=１",
                                   user_list_args)] == ["role", "is_active", "page"]
