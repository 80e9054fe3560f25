"""In a real browser: the landing page links to /compare, a page people can read.

At 1280 px the three implementations of a concept stand side by side; at
390 px (a phone) they stack. At both widths: every concept row is there,
the code is highlighted (Pygments' token spans), no code block is wider than
its box (long lines wrap instead of scrolling sideways) and the page itself
never scrolls sideways. The page fetches nothing but itself.

Screenshots of both widths are written to COMPARE_SCREENSHOTS (a folder)
when that variable is set, to look at; else to the test's tmp_path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from config.compare import CONCEPTS
from tests.e2e.conftest import open_page

FRAMEWORKS = ["drf", "fastapi", "flask"]

# Every code block, open or folded: its content width against its box's.
_OVERFLOWING_BLOCKS = """
() => {
  for (const details of document.querySelectorAll('details')) details.open = true;
  return [...document.querySelectorAll('pre')]
    .filter(pre => pre.scrollWidth > pre.clientWidth)
    .map(pre => (pre.closest('[data-concept]') || {}).dataset?.concept + ': '
                + pre.innerText.slice(0, 60));
}
"""


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("COMPARE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _assert_readable(page: Page) -> None:
    """Rows, highlighting, and no sideways scrolling, at the current width."""
    width = page.viewport_size["width"]  # type: ignore[index]
    concepts = page.locator("section.concept")
    assert [concepts.nth(i).get_attribute("data-concept") for i in range(concepts.count())] == [
        concept.slug for concept in CONCEPTS
    ]
    for concept in CONCEPTS:
        row = page.locator(f'[data-concept="{concept.slug}"]')
        assert row.locator("p.differs").inner_text().strip() == concept.differs
        assert row.locator(".column").count() == 3
        assert row.locator(".column pre").count() >= 3
    # Highlighted: Pygments' spans, and their colours applied (a keyword is not plain text).
    assert page.locator("pre .k").count() > 100
    keyword = page.locator('[data-concept="routing"] [data-framework="fastapi"] pre .k').first
    plain = page.locator('[data-concept="routing"] [data-framework="fastapi"] pre').first
    assert keyword.evaluate("e => getComputedStyle(e).color") != plain.evaluate(
        "e => getComputedStyle(e).color"
    )
    assert page.evaluate(_OVERFLOWING_BLOCKS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 390])
def test_compare_reads_at_desktop_and_phone_widths(
    server: str, browser: Browser, tmp_path: Path, width: int
) -> None:
    page, elsewhere = open_page(browser, f"{server}/", server)
    page.set_viewport_size({"width": width, "height": 900})
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url(f"{server}/compare")
    assert page.get_by_role("heading", name="Side by side", level=1).is_visible()

    columns = page.locator('[data-concept="routing"] .column')
    assert [columns.nth(i).get_attribute("data-framework") for i in range(3)] == FRAMEWORKS
    boxes = [columns.nth(i).bounding_box() for i in range(3)]
    assert all(box is not None for box in boxes)
    if width == 1280:
        # Side by side: one row, left to right, none wider than a third of the page.
        assert len({round(box["y"]) for box in boxes}) == 1  # type: ignore[index]
        assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # type: ignore[index]
        assert all(box["width"] < width / 3 for box in boxes)  # type: ignore[index]
    else:
        # Stacked: one above the other, each the page's width.
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]  # type: ignore[index]
        assert len({round(box["x"]) for box in boxes}) == 1  # type: ignore[index]
        assert all(box["x"] + box["width"] <= width for box in boxes)  # type: ignore[index]

    # The idiom first: the cached read's tuned code is folded under its own heading.
    caching = page.locator('[data-concept="caching"] [data-framework="fastapi"]')
    assert "async def get_book(" in caching.locator("pre").first.inner_text()
    tuned = caching.locator("details.tuned")
    assert "Tuned for speed" in tuned.locator("summary").inner_text()
    assert not tuned.locator("pre").first.is_visible()

    folder = _screenshots(tmp_path)
    page.screenshot(path=str(folder / f"compare-{width}-top.png"))
    page.locator('[data-concept="caching"]').scroll_into_view_if_needed()
    page.screenshot(path=str(folder / f"compare-{width}-caching.png"))
    _assert_readable(page)
    page.locator('[data-concept="caching"]').scroll_into_view_if_needed()
    page.screenshot(path=str(folder / f"compare-{width}-caching-open.png"))
    assert elsewhere == []
