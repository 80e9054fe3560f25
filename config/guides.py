"""The project's markdown guides, served as HTML pages at /guides/<slug>.

The three framework guides, every `docs/*.md` page and the README are
rendered once per process with markdown-it-py (CommonMark plus tables), so
a reader of /compare can follow a snippet's link to the section that
explains it. Two things are added to plain CommonMark:

- every heading gets an `id`, spelled the way GitHub spells its anchors,
  so `docs/drf.md#settings` works on GitHub and here alike;
- a relative link to another served page becomes its URL
  (`../../docs/drf.md#x` -> `/guides/drf#x`); a link to a source file,
  which the app does not serve, keeps its text and loses its `href`.

The pages are built on first use and kept (the markdown does not change
under a running server).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from markdown_it import MarkdownIt
from markdown_it.token import Token
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from config.compare_source import HIGHLIGHT_CLASS, PYGMENTS_STYLE

# The three framework guides, by the slug /compare links with.
FRAMEWORK_GUIDES = {
    "drf": "docs/drf.md",
    "fastapi": "mounted_apis/fastapi_app/README.md",
    "flask": "mounted_apis/flask_app/README.md",
}
GUIDES_URL = "/guides/"
# Short names for the pages' navigation bar; a page not named here shows its title.
NAV_LABELS = {
    "drf": "DRF guide", "fastapi": "FastAPI guide", "flask": "Flask guide", "api": "The API",
    "sql": "SQL", "walkthrough": "Walkthrough", "measurements": "Measurements", "readme": "README",
}


def guide_sources() -> dict[str, str]:
    """Every served page: slug -> path from the project root, guides first."""
    root = Path(settings.BASE_DIR)
    sources = dict(FRAMEWORK_GUIDES)
    for path in sorted((root / "docs").glob("*.md")):
        slug = path.stem.lower()
        if path.relative_to(root).as_posix() not in sources.values():
            sources.setdefault(slug, path.relative_to(root).as_posix())
    sources.setdefault("readme", "README.md")
    return sources


def guide_url(slug: str, anchor: str = "") -> str:
    return f"{GUIDES_URL}{slug}" + (f"#{anchor}" if anchor else "")


# GitHub's anchors: lower case, punctuation dropped (but - and _), spaces to -.
_NOT_IN_ANCHOR = re.compile(r"[^\w\- ]", re.UNICODE)


def heading_anchor(text: str) -> str:
    return _NOT_IN_ANCHOR.sub("", text.strip().lower()).replace(" ", "-")


@dataclass(frozen=True)
class Section:
    """One heading of a guide and the text under it, up to the next heading."""

    level: int
    title: str
    anchor: str
    text: str


@dataclass(frozen=True)
class Guide:
    slug: str
    path: str  # from the project root
    title: str
    html: str  # the body, without the page around it
    sections: tuple[Section, ...]

    @property
    def url(self) -> str:
        return guide_url(self.slug)

    @property
    def label(self) -> str:
        return NAV_LABELS.get(self.slug, self.title)


def _plain(inline: Token) -> str:
    """The text of an inline token as a reader sees it (code spans without backticks)."""
    return "".join(
        child.content for child in inline.children or () if child.type in {"text", "code_inline"}
    )


def _highlight_fence(code: str, language: str, _attrs: str) -> str:
    """A fenced block in Pygments' colours (markdown-it wraps it in <pre><code>)."""
    try:
        lexer = get_lexer_by_name(language or "text")
    except ClassNotFound:
        return ""  # markdown-it escapes it as plain text
    html = pygments_highlight(code, lexer, HtmlFormatter(nowrap=True, style=PYGMENTS_STYLE))
    return f'<pre class="{HIGHLIGHT_CLASS}"><code>{html}</code></pre>\n'



class _Renderer:
    """One page's markdown -> HTML, with its anchors and its links rewritten."""

    def __init__(self, path: str, served: dict[str, str]) -> None:
        self.folder = PurePosixPath(path).parent
        # path from the root -> slug
        self.served = {source: slug for slug, source in served.items()}
        self.md = MarkdownIt("commonmark", {"highlight": _highlight_fence}).enable("table")

    def _target(self, href: str) -> str | None:
        """The served URL of a relative link; None for a file the app does not serve."""
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith(("/", "#")):
            return href
        resolved = _normalize(self.folder / parts.path)
        slug = self.served.get(resolved)
        if slug is None:
            return None
        return guide_url(slug, parts.fragment)

    def render(self, text: str) -> tuple[str, str, tuple[Section, ...]]:
        tokens = self.md.parse(text)
        sections: list[Section] = []
        used: dict[str, int] = {}
        title = ""
        body: list[str] = []
        for index, token in enumerate(tokens):
            if token.type == "heading_open":
                heading = _plain(tokens[index + 1])
                anchor = heading_anchor(heading)
                if anchor in used:  # GitHub's rule for a repeated heading: -1, -2...
                    used[anchor] += 1
                    anchor = f"{anchor}-{used[anchor]}"
                else:
                    used[anchor] = 0
                token.attrSet("id", anchor)
                title = title or heading
                if sections:
                    last = sections[-1]
                    sections[-1] = Section(last.level, last.title, last.anchor, " ".join(body))
                sections.append(Section(int(token.tag[1]), heading, anchor, ""))
                body = []
            elif token.type == "inline":
                body.append(token.content)
                for child in token.children or ():
                    if child.type == "link_open":
                        target = self._target(str(child.attrGet("href") or ""))
                        if target is None:
                            child.attrs.pop("href", None)
                            child.attrSet("class", "source")
                        else:
                            child.attrSet("href", target)
            elif token.type in {"fence", "code_block"}:
                body.append(token.content)
        if sections:
            last = sections[-1]
            sections[-1] = Section(last.level, last.title, last.anchor, " ".join(body))
        html = self.md.renderer.render(tokens, self.md.options, {})
        return title, html, tuple(sections)


def _normalize(path: PurePosixPath) -> str:
    """`docs/../README.md` -> `README.md` (no filesystem access)."""
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


@functools.cache
def guides() -> dict[str, Guide]:
    """Every served page, rendered (once per process)."""
    root = Path(settings.BASE_DIR)
    served = guide_sources()
    pages = {}
    for slug, path in served.items():
        if not (root / path).is_file():
            continue
        text = (root / path).read_text(encoding="utf-8")
        title, html, sections = _Renderer(path, served).render(text)
        pages[slug] = Guide(slug, path, title or path, html, sections)
    return pages


@functools.cache
def guide_html(slug: str) -> str:
    """The whole page of one guide. :raise KeyError: no such guide."""
    guide = guides()[slug]
    return render_to_string(
        "guide.html",
        {
            "guide": guide,
            "guides": guides().values(),
            "highlight_css": HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(
                f".{HIGHLIGHT_CLASS}"
            ),
        },
    )
