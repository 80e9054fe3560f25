"""Read the project's own source for the /compare page, by name, and highlight it.

A reference names one object by its module and qualified name:

    "books.views:BookViewSet.create"    a function, class or method: its source,
                                        decorators included
    "mounted_apis.fastapi_app.deps:CurrentUser"
                                        any other module-level name: the
                                        statement that assigns it (with the
                                        comment lines right above it)
    "books.urls"                        no name: the whole module

The file is found from the module's dotted name and *parsed* (ast), never
imported: a test module can be shown without pytest installed, and showing
code runs none of it. Nothing is copied either: a rename makes `snippet()`
raise AttributeError (tests/unit/composition/test_compare.py resolves every
reference, so the test fails, not the page).

`highlight()` turns the code into HTML with Pygments: one `<span class=..>`
per token, the colours in `highlight_css()`.
"""

from __future__ import annotations

import ast
import functools
import re
import textwrap
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

# Light, readable on white, and with enough contrast for comments.
PYGMENTS_STYLE = "friendly"
# Every token span is nested under this class (see highlight_css()).
HIGHLIGHT_CLASS = "hl"

_Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass(frozen=True)
class Snippet:
    """The lines of one reference, and where they live."""

    reference: str
    path: str  # relative to the project root
    first_line: int
    last_line: int
    code: str

    @property
    def html(self) -> SafeString:
        return highlight(self.code)

    @property
    def path_html(self) -> SafeString:
        return wrappable(self.path)

    @property
    def reference_html(self) -> SafeString:
        return wrappable(self.reference.removeprefix("mounted_apis."))

    @property
    def width(self) -> int:
        """Characters per row the box needs to wrap only between names."""
        return widest_unbreakable(self.code)


def module_path(module_name: str) -> Path:
    """The file of a project module (`books.views` -> books/views.py), without importing it.

    :raise ImportError: no such module in the project.
    """
    base = Path(settings.BASE_DIR).joinpath(*module_name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    raise ImportError(f"no project module {module_name!r}")


def _find(body: list[ast.stmt], name: str) -> _Definition | ast.Assign | ast.AnnAssign | None:
    """The definition or assignment of `name` among the statements `body`."""
    for node in body:
        if isinstance(node, _Definition) and node.name == name:
            return node
        targets = (
            node.targets if isinstance(node, ast.Assign)
            else [node.target] if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node  # type: ignore[return-value]
    return None


def _node_lines(node: ast.stmt, lines: list[str]) -> tuple[int, int]:
    """1-based first and last line: decorators, and comments right above an assignment."""
    first = node.lineno
    if isinstance(node, _Definition) and node.decorator_list:
        first = min(decorator.lineno for decorator in node.decorator_list)
    elif isinstance(node, ast.Assign | ast.AnnAssign):
        while first > 1 and lines[first - 2].lstrip().startswith("#"):
            first -= 1
    return first, node.end_lineno or node.lineno


@functools.cache
def _parsed(path: Path) -> tuple[list[str], ast.Module]:
    text = path.read_text(encoding="utf-8")
    return text.splitlines(keepends=True), ast.parse(text)


def snippet(reference: str) -> Snippet:
    """The current source of `reference` (see the module docstring).

    :raise ImportError: the module is gone. :raise AttributeError: the name is.
    """
    module_name, _, qualname = reference.partition(":")
    path = module_path(module_name)
    lines, tree = _parsed(path)
    if not qualname:
        first, last = 1, len(lines)
    else:
        body: list[ast.stmt] = tree.body
        node: ast.stmt | None = None
        for part in qualname.split("."):
            node = _find(body, part)
            if node is None:
                raise AttributeError(f"{module_name} defines no {qualname!r}")
            body = node.body if isinstance(node, ast.ClassDef) else []
        assert node is not None
        first, last = _node_lines(node, lines)
    return Snippet(
        reference=reference,
        path=path.relative_to(Path(settings.BASE_DIR)).as_posix(),
        first_line=first,
        last_line=last,
        # dedent: a method loses its class's indent.
        code=textwrap.dedent("".join(lines[first - 1 : last])).rstrip(),
    )


# The leading spaces of one highlighted line: bare, or first in a token span.
_LEADING_SPACES = re.compile(r'^(?:<span class="[^"]*">)?( +)')
# Where a line may wrap besides its spaces: after an opening bracket or a comma,
# and before a dot. Between two tokens, never inside a name.
_BREAK_AFTER_HTML = re.compile(
    r'(<span class="p">[^<]*[(\[{,]</span>|<span class="si">[^<]*}</span>)'
)
_BREAK_BEFORE_HTML = re.compile(r'(<span class="o">\.</span>)')
# Inside a string or a comment (a dotted path, a URL, code in a docstring): after a
# slash, a bracket, `=` or a comma, and before a dot.
_STRING_SPAN = re.compile(r'(<span class="(?:s[a-z0-9]*|c1?)">)([^<]*)(</span>)')
_BREAK_IN_STRING = re.compile(r"(?<=[/(\[=,])(?=[^/])|(?<=[^.])(?=\.\w)")
# A continuation line aligned far right (39 spaces under an open bracket) still
# hangs its wrapped rows at most this far in, so a narrow box can hold them.
MAX_HANG = 8
_TAG = re.compile(r"<[^>]+>")
# A wrapped row starts this many characters right of its line's indent (the CSS's +4).
HANGING_INDENT = 4


def _line(html: str) -> str:
    """One source line as a block whose wrapped parts hang under its own indent.

    The count of leading spaces goes to `--indent` (read by the page's CSS):
    a long line that wraps continues four characters right of where its
    text starts, not at the left edge of the block. The spaces stay in the
    text, so copied code keeps its indentation. `<wbr>` marks the places
    between tokens where the line may wrap (an empty element: copying the
    code copies none of it).
    """
    match = _LEADING_SPACES.match(html)
    indent = min(len(match.group(1)) if match else 0, MAX_HANG)
    html = _BREAK_BEFORE_HTML.sub(r"<wbr>\1", _BREAK_AFTER_HTML.sub(r"\1<wbr>", html))
    html = _STRING_SPAN.sub(
        lambda m: m[1] + _BREAK_IN_STRING.sub("<wbr>", m[2]) + m[3], html
    )
    return f'<span class="line" style="--indent:{indent}">{html}</span>'


def widest_unbreakable(code: str) -> int:
    """The width in characters the box needs so that no name has to break.

    The longest run between two wrap points (spaces, and the `<wbr>`s of
    `_line`), placed where a wrapped row of its line starts. The page sizes
    the box's font so that this many characters fit in its column.
    """
    widest = 0
    for line in highlight(code).split('<span class="line" ')[1:]:
        text = unescape(_TAG.sub("", line.replace("<wbr>", "\0")).split(">", 1)[1])
        indent = min(len(text) - len(text.lstrip(" ")), MAX_HANG)
        runs = re.split(r"[\0 ]", text.strip())
        widest = max(widest, indent + HANGING_INDENT + max(len(run) for run in runs))
    return widest


def highlight(code: str) -> SafeString:
    """`code` as HTML: one `<span class="line">` per source line, token spans inside.

    Pygments closes its token spans at the end of every line, so the lines
    can be wrapped one by one; the page's CSS gives each a hanging indent,
    and a long line wraps inside its column, between tokens, instead of
    scrolling sideways. No outer element: the template owns `<pre><code>`.
    """
    formatter = HtmlFormatter(nowrap=True, style=PYGMENTS_STYLE)
    html = pygments_highlight(code, PythonLexer(), formatter).rstrip("\n")
    return mark_safe("".join(_line(line) for line in html.split("\n")))  # noqa: S308  (escaped)


def wrappable(name: str) -> SafeString:
    """A dotted name or a path, escaped, that may wrap after `/` or `:` and before a dot."""
    return mark_safe(re.sub(r"(?<=[/:])|(?=\.)", "<wbr>", escape(name)))  # noqa: S308


def highlight_css() -> SafeString:
    """The style sheet of the token classes, scoped to `.hl`."""
    formatter = HtmlFormatter(style=PYGMENTS_STYLE)
    return mark_safe(formatter.get_style_defs(f".{HIGHLIGHT_CLASS}"))  # noqa: S308  (our own CSS)
