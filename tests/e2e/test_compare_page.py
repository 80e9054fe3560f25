"""In a real browser: /compare reads at a desktop's width and a phone's, and links its guides.

At 1280 px the three implementations of a concept stand side by side; at
390 px (a phone) the page shows one framework at a time, picked by tabs
that are radio buttons (no script). At both widths: every concept row is
there, highlighted; every code box shows all its code (nothing scrolls
inside a box, sideways or down); no name is broken across two rows; no
element is wider than the window; every row links to a guide section that
answers 200 with HTML and has that anchor. The page fetches nothing but
itself.

Screenshots of both widths are written to COMPARE_SCREENSHOTS (a folder)
when that variable is set, to look at; else to the test's tmp_path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from config.compare import CONCEPTS
from config.guides import guide_sources
from tests.e2e.conftest import open_page

FRAMEWORKS = ["drf", "fastapi", "flask"]

# Every code box, open or folded (a folded one is opened first): what it hides.
_BOXES_THAT_SCROLL = """
() => {
  for (const details of document.querySelectorAll('details')) details.open = true;
  return [...document.querySelectorAll('pre')]
    .filter(pre => pre.offsetParent !== null)
    .filter(pre => pre.scrollWidth > pre.clientWidth || pre.scrollHeight > pre.clientHeight)
    .map(pre => (pre.closest('[data-concept]') || {}).dataset?.concept + ': '
                + pre.innerText.slice(0, 60));
}
"""
# A name token (Pygments' n, nf, nc, nd...) laid out on two rows is a name broken in two.
_BROKEN_NAMES = """
() => [...document.querySelectorAll('pre [class^="n"], pre .bp, pre .fm')]
  .filter(span => span.offsetParent !== null && span.getClientRects().length > 1)
  .map(span => span.textContent)
"""
# Visible elements whose right edge passes the window's.
_WIDER_THAN_WINDOW = """
() => [...document.body.querySelectorAll('*')]
  .filter(e => e.offsetParent !== null || e.tagName === 'MAIN')
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 40))
"""


def _screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("COMPARE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _visible_frameworks(page: Page, concept: str) -> list[str]:
    columns = page.locator(f'[data-concept="{concept}"] .column')
    return [
        str(columns.nth(i).get_attribute("data-framework"))
        for i in range(columns.count())
        if columns.nth(i).is_visible()
    ]


def _assert_readable(page: Page) -> None:
    """Rows, highlighting, whole boxes, whole names, nothing wider than the window."""
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
    keyword = page.locator('[data-concept="routing"] [data-framework="drf"] pre .k').first
    plain = page.locator('[data-concept="routing"] [data-framework="drf"] pre').first
    assert keyword.evaluate("e => getComputedStyle(e).color") != plain.evaluate(
        "e => getComputedStyle(e).color"
    )
    assert page.evaluate(_BOXES_THAT_SCROLL) == []
    assert page.evaluate(_BROKEN_NAMES) == []
    assert page.evaluate(_WIDER_THAN_WINDOW) == []


def _assert_guides_linked(page: Page, server: str) -> None:
    """Every row links to a guide section; each answers 200 with HTML and holds the anchor."""
    pages: dict[str, str] = {}
    for concept in CONCEPTS:
        links = page.locator(f'[data-concept="{concept.slug}"] a[href^="/guides/"]')
        hrefs = {str(links.nth(i).get_attribute("href")) for i in range(links.count())}
        columns = page.locator(f'[data-concept="{concept.slug}"] .column')
        for i in range(3):  # each framework's column links its guide
            assert columns.nth(i).locator('a.guide-link[href^="/guides/"]').count() == 1
        for href in hrefs:
            url, _, anchor = href.partition("#")
            if url not in pages:
                answer = page.request.get(f"{server}{url}")
                assert answer.status == 200, url
                assert answer.headers["content-type"].startswith("text/html"), url
                pages[url] = answer.text()
            if anchor:
                assert f'id="{anchor}"' in pages[url], href
    assert {"/guides/drf", "/guides/fastapi", "/guides/flask"} <= set(pages)


@pytest.mark.parametrize("width", [1280, 390])
def test_compare_reads_at_desktop_and_phone_widths(
    server: str, browser: Browser, tmp_path: Path, width: int
) -> None:
    page, elsewhere = open_page(browser, f"{server}/", server)
    page.set_viewport_size({"width": width, "height": 900})
    page.get_by_role("link", name="Side by side").click()
    page.wait_for_url(f"{server}/compare")
    assert page.get_by_role("heading", name="Side by side", level=1).is_visible()
    folder = _screenshots(tmp_path)

    if width < 1100:
        page.locator('nav.tabs label[data-framework="fastapi"]').click()
    # The idiom first: the cached read's tuned code is folded under its own heading.
    caching = page.locator('[data-concept="caching"] [data-framework="fastapi"]')
    assert "async def get_book(" in caching.locator("pre").first.inner_text()
    tuned = caching.locator("details.tuned")
    assert "Tuned for speed" in tuned.locator("summary").inner_text()
    assert not tuned.locator("pre").first.is_visible()
    if width < 1100:
        page.locator('nav.tabs label[data-framework="drf"]').click()

    columns = page.locator('[data-concept="routing"] .column')
    assert [columns.nth(i).get_attribute("data-framework") for i in range(3)] == FRAMEWORKS
    if width == 1280:
        # Side by side: one row, left to right, none wider than a third of the page; no tabs.
        boxes = [columns.nth(i).bounding_box() for i in range(3)]
        assert all(box is not None for box in boxes)
        assert len({round(box["y"]) for box in boxes}) == 1  # type: ignore[index]
        assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # type: ignore[index]
        assert all(box["width"] < width / 3 for box in boxes)  # type: ignore[index]
        assert not page.locator("nav.tabs").is_visible()
        page.screenshot(path=str(folder / f"compare-{width}-top.png"))
    else:
        # One framework at a time: DRF first, the tabs switch (CSS, no script).
        assert page.locator("nav.tabs").is_visible()
        assert all(_visible_frameworks(page, c.slug) == ["drf"] for c in CONCEPTS)
        page.screenshot(path=str(folder / f"compare-{width}-top.png"))
        for framework in ("fastapi", "flask", "drf"):
            page.locator(f'nav.tabs label[data-framework="{framework}"]').click()
            assert all(_visible_frameworks(page, c.slug) == [framework] for c in CONCEPTS)
            _assert_readable(page)
        page.locator('nav.tabs label[data-framework="fastapi"]').click()

    page.locator('[data-concept="database"]').scroll_into_view_if_needed()
    page.screenshot(path=str(folder / f"compare-{width}-database.png"))
    _assert_readable(page)
    _assert_guides_linked(page, server)
    assert elsewhere == []


def test_scripts_are_not_needed(server: str, browser: Browser) -> None:
    """With JavaScript off, the tabs still pick the framework (radio buttons and CSS)."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{server}/compare")
        assert _visible_frameworks(page, "database") == ["drf"]
        page.locator('nav.tabs label[data-framework="flask"]').click()
        assert _visible_frameworks(page, "database") == ["flask"]
    finally:
        context.close()


def test_the_guides_fit_a_phone(server: str, browser: Browser) -> None:
    """Every served guide at 390 px: the page never scrolls sideways (wide tables scroll)."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        for slug in guide_sources():
            page.goto(f"{server}/guides/{slug}")
            assert page.locator("h1").count() == 1, slug
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, slug
    finally:
        page.close()
