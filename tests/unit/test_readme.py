"""The README is a learner's first page: short, the first command and logins on screen one,
and every link it or a docs page holds leads to a file in this repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_LINES = 200
FIRST_SCREEN_LINES = 45
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md")),
         *sorted((ROOT / "mounted_apis").glob("*/README.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")
# Words that only mean something to whoever wrote the page, not to its reader.
_HISTORY = ("this round", "the committed run", "the seed's claim", "last round", "this change")


def test_the_readme_is_short() -> None:
    assert len(README.read_text().splitlines()) <= MAX_LINES


def test_the_first_screen_has_the_command_the_logins_and_a_login_request() -> None:
    first_screen = "\n".join(README.read_text().splitlines()[:FIRST_SCREEN_LINES])
    assert "python3 dev.py serve" in first_screen
    for username, password in (("admin", "Shelf-Keeper-4821"), ("alice", "Looking-Glass-7316"),
                               ("bob", "Builder-Blue-5902")):
        assert f"| `{username}` | `{password}` |" in first_screen
    assert "/auth/token" in first_screen and "/auth/me" in first_screen
    assert "/compare" in first_screen


def test_the_readme_links_the_guides_and_the_topic_pages() -> None:
    links = set(_LINK.findall(README.read_text()))
    for page in ("docs/drf.md", "mounted_apis/fastapi_app/README.md",
                 "mounted_apis/flask_app/README.md", "docs/walkthrough.md", "docs/API.md",
                 "docs/settings.md", "docs/production.md", "docs/security.md",
                 "docs/caching.md", "docs/tokens.md", "docs/rate-limiting.md",
                 "docs/performance.md", "docs/measurements.md", "docs/dependencies.md",
                 "docs/testing.md"):
        assert page in links, page


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(ROOT).as_posix())
def test_every_link_leads_to_a_file_here(page: Path) -> None:
    broken = []
    for target in _LINK.findall(page.read_text()):
        if target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if re.match(r"^[a-z]+:", path) or not (page.parent / path).exists():
            broken.append(target)
    assert broken == [], f"{page.relative_to(ROOT)}: {broken}"


@pytest.mark.parametrize("page", [README, *(ROOT / "docs").glob("*.md")],
                         ids=lambda page: page.relative_to(ROOT).as_posix())
def test_no_page_retells_its_own_history(page: Path) -> None:
    text = page.read_text().lower()
    assert [phrase for phrase in _HISTORY if phrase in text] == []
