"""common.accept.prefers_html: RFC 9110's reading of Accept, HTML only when it ranks above JSON."""

from __future__ import annotations

import pytest

from common.accept import prefers_html

CHROMIUM_NAVIGATION = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)


@pytest.mark.parametrize(
    "accept",
    [
        "text/html",
        CHROMIUM_NAVIGATION,
        "text/html; q=1.0, */*",  # DRF's own forms: named beats wildcard at equal q
        "application/json;q=0.5, text/html",
        "text/*",
        "TEXT/HTML",
        "text/html;q=0.1",  # the only acceptable type, however low
    ],
)
def test_html_is_preferred(accept: str) -> None:
    assert prefers_html(accept)


@pytest.mark.parametrize(
    "accept",
    [
        None,
        "",
        "*/*",
        "application/json",
        "text/html, application/json",  # a tie goes to the API's default
        "application/json, text/html",
        "text/html;q=0.5, application/json",
        "text/html;q=0.5, */*",
        "text/html;q=0, */*",  # q=0: "not acceptable"
        "application/xml",
        "text/plain",
        "garbage",
        "text/html;q=abc",  # malformed: skipped
        "text/html;q=2",  # out of range: skipped
        ",,;;/",
    ],
)
def test_json_stays_the_answer(accept: str | None) -> None:
    assert not prefers_html(accept)
