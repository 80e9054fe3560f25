"""In a real browser: the landing page links to /compare, which shows three columns.

At 1280 px and wider the three implementations of a concept stand side by
side; on a narrow screen they stack. The page fetches nothing but itself.
Screenshots of both widths land in the test's tmp_path, to look at.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser

from tests.e2e.conftest import open_page

FRAMEWORKS = ["drf", "fastapi", "flask"]


def test_the_landing_page_leads_to_three_columns(
    server: str, browser: Browser, tmp_path: Path
) -> None:
    page, elsewhere = open_page(browser, f"{server}/", server)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url(f"{server}/compare")
    assert page.get_by_role("heading", name="Side by side", level=1).is_visible()

    columns = page.locator('[data-concept="routing"] .column')
    assert [columns.nth(i).get_attribute("data-framework") for i in range(3)] == FRAMEWORKS
    boxes = [columns.nth(i).bounding_box() for i in range(3)]
    assert all(box is not None for box in boxes)
    # Side by side: one row, left to right, none wider than a third of the page.
    assert len({round(box["y"]) for box in boxes}) == 1  # type: ignore[index]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # type: ignore[index]
    assert all(box["width"] < 1440 / 3 for box in boxes)  # type: ignore[index]
    # Every concept's code is there, in monospace, and scrolls instead of widening the page.
    assert page.locator("section.concept").count() == 9
    code = page.locator('[data-concept="caching"] [data-framework="fastapi"] pre').first
    assert "async def list_books(" in code.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    page.screenshot(path=str(tmp_path / "compare-wide.png"))

    page.set_viewport_size({"width": 800, "height": 900})
    stacked = [columns.nth(i).bounding_box() for i in range(3)]
    assert stacked[0]["y"] < stacked[1]["y"] < stacked[2]["y"]  # type: ignore[index]
    assert len({round(box["x"]) for box in stacked}) == 1  # type: ignore[index]
    page.screenshot(path=str(tmp_path / "compare-narrow.png"))

    assert elsewhere == []
