"""common.pagination: parameter parsing, slicing, and links."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from books.models import Book
from common.pagination import PageParams, PageResult, page_links, page_param_errors, paginate


class TestPageParamErrors:
    def test_defaults(self) -> None:
        assert page_param_errors({}) == (PageParams(page=1, page_size=20), [])
        assert page_param_errors({"page": "", "page_size": ""}) == (PageParams(1, 20), [])

    def test_values_and_other_params_ignored(self) -> None:
        assert page_param_errors({"page": "3", "page_size": "100", "sort": "x"}) == (
            PageParams(3, 100), []
        )

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"page": "0"}, [("page", "Ensure this value is greater than or equal to 1.")]),
            ({"page": "-2"}, [("page", "Ensure this value is greater than or equal to 1.")]),
            ({"page": "abc"}, [("page", "Enter a whole number.")]),
            ({"page": "1.5"}, [("page", "Enter a whole number.")]),
            ({"page_size": "0"},
             [("page_size", "Ensure this value is greater than or equal to 1.")]),
            ({"page_size": "101"},
             [("page_size", "Ensure this value is less than or equal to 100.")]),
            ({"page_size": "x", "page": "0"},
             [("page", "Ensure this value is greater than or equal to 1."),
              ("page_size", "Enter a whole number.")]),
        ],
    )
    def test_errors_name_the_parameter(self, params: dict, expected: list) -> None:
        page_params, errors = page_param_errors(params)
        assert page_params is None
        assert [(d.field, d.message) for d in errors] == expected


@pytest.mark.django_db
class TestPaginate:
    def test_pages(self, make_book: Callable[..., Book]) -> None:
        for i in range(45):
            make_book(title=f"t{i}")
        result = paginate(Book.objects.order_by("id"), PageParams(page=3, page_size=20))
        assert (result.total, result.pages, len(result.items)) == (45, 3, 5)
        assert result.meta() == {"page": 3, "page_size": 20, "total": 45, "pages": 3}

    def test_past_the_end_is_empty(self, make_book: Callable[..., Book]) -> None:
        make_book()
        result = paginate(Book.objects.all(), PageParams(page=7, page_size=20))
        assert result.items == [] and result.total == 1 and result.pages == 1

    def test_empty_table(self) -> None:
        result = paginate(Book.objects.all(), PageParams())
        assert (result.items, result.total, result.pages) == ([], 0, 0)


class TestPageLinks:
    BASE = "http://testserver/api/drf/books"

    def _result(self, page: int, pages: int) -> PageResult:
        return PageResult(items=[], page=page, page_size=10, total=pages * 10, pages=pages)

    def test_middle_page_keeps_other_parameters(self) -> None:
        query: dict[str, Any] = {
            "search": "a b", "page": "2", "page_size": "10", "sort": "year:desc"
        }
        links = page_links(self.BASE, query, self._result(2, 3))
        assert links == {
            "self": f"{self.BASE}?search=a+b&page_size=10&sort=year%3Adesc&page=2",
            "next": f"{self.BASE}?search=a+b&page_size=10&sort=year%3Adesc&page=3",
            "prev": f"{self.BASE}?search=a+b&page_size=10&sort=year%3Adesc&page=1",
        }

    def test_ends_are_null(self) -> None:
        assert page_links(self.BASE, {}, self._result(1, 1))["prev"] is None
        assert page_links(self.BASE, {}, self._result(1, 1))["next"] is None

    def test_past_the_end_prev_is_last_page(self) -> None:
        links = page_links(self.BASE, {"page": "9"}, self._result(9, 3))
        assert links["next"] is None
        assert links["prev"] == f"{self.BASE}?page=3"

    def test_past_the_end_of_nothing(self) -> None:
        links = page_links(self.BASE, {"page": "4"}, self._result(4, 0))
        assert links["prev"] == f"{self.BASE}?page=1"


class TestBrowsableApiPager:
    """drf_support.pagination: the page links DRF's browsable API draws under a list."""

    @staticmethod
    def html(query: str, result: PageResult) -> str:
        from rest_framework.request import Request
        from rest_framework.test import APIRequestFactory

        from drf_support.pagination import PageNumberEnvelopePagination

        pager = PageNumberEnvelopePagination()
        pager.request = Request(APIRequestFactory().get(f"/api/drf/books?{query}"))
        pager.result = result
        return pager.to_html()

    @staticmethod
    def linked_pages(html: str) -> set[int]:
        return {int(number) for number in re.findall(r"[?&;]page=(\d+)", html)}

    def test_numbers_stop_at_the_page_depth_bound(self) -> None:
        # 5,000 rows by 100: 50 pages, of which numbers reach the first 10 (1,000 rows).
        result = PageResult(items=[], page=2, page_size=100, total=5000, pages=50)
        assert max(self.linked_pages(self.html("page=2&page_size=100", result))) == 10

    def test_the_last_numbered_page_goes_on_with_the_cursor(self) -> None:
        result = PageResult(items=[], page=10, page_size=100, total=5000, pages=50,
                            next_cursor="abc")
        html = self.html("page=10&page_size=100", result)
        assert max(self.linked_pages(html)) == 10
        assert "cursor=abc" in html

    def test_a_short_list_links_every_page(self) -> None:
        result = PageResult(items=[], page=1, page_size=20, total=100, pages=5)
        html = self.html("page=1", result)
        assert self.linked_pages(html) == {1, 2, 4, 5} and "cursor=" not in html
