"""books.rules: ISBN normalisation, year bounds, and validate_book's ordering."""

from __future__ import annotations

from datetime import date

import pytest

from books import rules
from common.errors import FieldInvalid, ValidationFailed


class TestNormalizeIsbn:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("9780306406157", "9780306406157"),  # ISBN-13
            ("978-0-306-40615-7", "9780306406157"),  # hyphens
            (" 978 0 306 40615 7 ", "9780306406157"),  # spaces
            ("0306406152", "9780306406157"),  # ISBN-10 -> ISBN-13
            ("0-306-40615-2", "9780306406157"),
            ("043965548X", "9780439655484"),  # X check digit
            ("043965548x", "9780439655484"),  # lower-case x
            ("9791032300824", "9791032300824"),  # 979 prefix
        ],
    )
    def test_valid(self, raw: str, expected: str) -> None:
        assert rules.normalize_isbn(raw) == expected

    @pytest.mark.parametrize("raw", ["9780306406158", "0306406153", "0439655481"])
    def test_bad_check_digit(self, raw: str) -> None:
        with pytest.raises(FieldInvalid) as info:
            rules.normalize_isbn(raw)
        assert info.value.message == rules.MSG_ISBN_CHECK_DIGIT

    @pytest.mark.parametrize(
        "raw", ["", "abc", "12345", "978030640615", "97803064061577", "X306406152",
                "03064061X2", "978030640615\u0667", "978.0.306.40615.7"],
    )
    def test_junk(self, raw: str) -> None:
        with pytest.raises(FieldInvalid) as info:
            rules.normalize_isbn(raw)
        assert info.value.message == rules.MSG_ISBN_FORMAT

    def test_thirteen_digits_outside_bookland(self) -> None:
        with pytest.raises(FieldInvalid) as info:
            rules.normalize_isbn("1234567890128")
        assert info.value.message == rules.MSG_ISBN_PREFIX


class TestYear:
    @pytest.fixture(autouse=True)
    def frozen_today(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(rules, "_today", lambda: date(2030, 6, 1))

    def test_bounds_inclusive(self) -> None:
        assert rules.year_max() == 2031
        assert rules.clean_year(1450) == 1450
        assert rules.clean_year(2031) == 2031

    @pytest.mark.parametrize("year", [1449, 2032, -1, 10**30])
    def test_out_of_range(self, year: int) -> None:
        with pytest.raises(FieldInvalid) as info:
            rules.clean_year(year)
        assert info.value.message == "Ensure the year is between 1450 and 2031."


class TestTextFields:
    def test_title_trimmed(self) -> None:
        assert rules.clean_title("  Dune \n") == "Dune"

    @pytest.mark.parametrize("value", ["", "   ", "\t\n"])
    def test_blank(self, value: str) -> None:
        with pytest.raises(FieldInvalid, match="may not be blank"):
            rules.clean_author(value)

    def test_length_counted_as_sent_then_trimmed(self) -> None:
        # As the documents' maxLength says: the value as sent, spaces included.
        assert rules.clean_title(" " + "a" * 198 + " ") == "a" * 198
        with pytest.raises(FieldInvalid, match="no more than 200"):
            rules.clean_title(" " + "a" * 200 + " ")
        with pytest.raises(FieldInvalid, match="no more than 200"):
            rules.clean_title("a" * 201)

    def test_description(self) -> None:
        assert rules.clean_description(None) == ""
        assert rules.clean_description("x" * 5000) == "x" * 5000
        with pytest.raises(FieldInvalid, match="no more than 5000"):
            rules.clean_description("x" * 5001)

    def test_null_characters(self) -> None:
        with pytest.raises(FieldInvalid, match="Null characters"):
            rules.clean_title("a\x00b")

    def test_blank_isbn_is_none(self) -> None:
        assert rules.clean_isbn(None) is None
        assert rules.clean_isbn("  ") is None


class TestValidateBook:
    def test_full_fills_defaults(self) -> None:
        cleaned = rules.validate_book(
            {"title": " Dune ", "author": "Frank Herbert", "year": 1965}, partial=False
        )
        assert cleaned == {"title": "Dune", "author": "Frank Herbert", "year": 1965,
                           "isbn": None, "description": ""}

    def test_partial_returns_only_given(self) -> None:
        assert rules.validate_book({"isbn": "0306406152"}, partial=True) == {
            "isbn": "9780306406157"
        }

    def test_errors_in_field_order(self) -> None:
        # Given in reverse order; details come back title, author, year, isbn, description.
        values = {"description": "x" * 5001, "isbn": "123", "year": 1000, "author": "",
                  "title": ""}
        with pytest.raises(ValidationFailed) as info:
            rules.validate_book(values, partial=True)
        assert [d.field for d in info.value.details] == [
            "title", "author", "year", "isbn", "description"
        ]

    def test_missing_required_on_full(self) -> None:
        with pytest.raises(ValidationFailed) as info:
            rules.validate_book({"year": 1000}, partial=False)
        assert [(d.field, d.message) for d in info.value.details] == [
            ("title", "This field is required."),
            ("author", "This field is required."),
            ("year", f"Ensure the year is between 1450 and {rules.year_max()}."),
        ]
