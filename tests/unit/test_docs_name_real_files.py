"""The guides name real files and real functions.

The per-framework guides (mounted_apis/*/README.md, docs/drf.md) and the
README walk a learner file by file. When code moves, a guide that still
names the old file or function sends the reader to nothing. Two checks:

1. every `path/to/file.py` (or `module.py`) named in backticks exists,
   relative to the guide's folder or to the repository root;
2. every dotted name of the project's own packages (`books.cache.VersionedCache`,
   `common.json_body.json_object_body`) names a module that exists, and the
   name after the module is in it;
3. in a guide's file table (a row whose first cell is a backticked `.py`
   file), every `function()`, `function(args)`, `CamelCaseName`,
   `snake_case_name` or `CONSTANT_NAME` in the second cell ("what it does")
   is in that file: defined there (at any depth), assigned, imported, or an
   attribute it uses (a hook such as `app.before_request`).

The check is deliberately simple (ast, no imports): it proves a name is in
the file, not that the sentence about it is true.
"""

from __future__ import annotations

import ast
import builtins
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The README's topic pages, one per subject it links.
TOPIC_PAGES = [
    ROOT / "docs" / name
    for name in (
        "architecture.md", "browsers.md", "caching.md", "dependencies.md", "large-data.md",
        "performance.md", "production.md", "rate-limiting.md", "security.md", "settings.md",
        "testing.md", "tokens.md",
    )
]
GUIDES = [
    ROOT / "README.md",
    ROOT / "docs" / "drf.md",
    *sorted((ROOT / "mounted_apis").glob("*/README.md")),
    *TOPIC_PAGES,
]

_SPAN = re.compile(r"`([^`\n]+)`")
# A file name: letters, digits, _, -, /, . ending in .py (no spaces, no wildcards).
_PY_FILE = re.compile(r"^[\w./-]*\w\.py$")
_CALL = re.compile(r"^([A-Za-z_]\w*)\(.*\)$")
_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*$")
_CAMEL = re.compile(r"^_?[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")
_SNAKE = re.compile(r"^_?[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_CONSTANT = re.compile(r"^_?[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")
# Spans that look like names but are not the file's: Python's own, JSON's, a header's.
_NOT_THE_FILES = set(dir(builtins)) | {"NaN", "Allow", "Accept"}
# Names of settings: the value lives in config/settings.py, not in the file.
_NOT_THE_FILES |= {"EXCEPTION_HANDLER", "DEFAULT_SCHEMA_CLASS", "REST_FRAMEWORK"}


def _code_spans(text: str) -> list[str]:
    # Fenced code blocks hold shell commands and sketches, not references.
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
    return _SPAN.findall(text)


def _resolve(guide: Path, name: str) -> Path | None:
    for base in (guide.parent, ROOT):
        candidate = (base / name).resolve()
        if candidate.is_file():
            return candidate
    return None


@cache
def _bound_names(path: Path) -> frozenset[str]:
    """Every name a file defines, assigns or imports, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            # `self.name = ...`, and the hooks a file calls (`app.before_request(...)`).
            names.add(node.attr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
                names.add(alias.name.split(".")[-1])
    return frozenset(names)


def _checked_name(span: str) -> str | None:
    """The identifier a table cell's code span names, if it is one we check."""
    call = _CALL.match(span)
    if call:
        return None if call.group(1) in _NOT_THE_FILES else call.group(1)
    if span in _NOT_THE_FILES:
        return None
    if _IDENTIFIER.match(span) and any(
        pattern.match(span) for pattern in (_CAMEL, _SNAKE, _CONSTANT)
    ):
        return span
    return None


_PACKAGES = ("accounts", "books", "common", "config", "drf_support", "mounted_apis", "throttling")
_DOTTED = re.compile(r"^([a-z_][a-z0-9_]*(?:\.[A-Za-z_]\w*)+)(\(.*\))?$")


def _dotted_problem(span: str) -> str | None:
    """Why a dotted project name does not resolve, or None when it does (or is not one)."""
    match = _DOTTED.match(span)
    if match is None or match.group(1).split(".")[0] not in _PACKAGES:
        return None
    parts = match.group(1).split(".")
    for length in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:length])
        module = base.with_suffix(".py")
        if not module.is_file():
            module = base / "__init__.py"
        if module.is_file():
            rest = parts[length:]
            if rest and rest[0] not in _bound_names(module):
                return f"{span}: no {rest[0]} in {module.relative_to(ROOT)}"
            return None
    return f"{span}: no such module"


def _table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_python_file_exists(guide: Path) -> None:
    missing = sorted({span for span in _code_spans(guide.read_text(encoding="utf-8"))
                      if _PY_FILE.match(span) and _resolve(guide, span) is None})
    assert not missing, f"{guide.relative_to(ROOT)} names missing files: {', '.join(missing)}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_file_tables_name_what_the_file_holds(guide: Path) -> None:
    wrong: list[str] = []
    for row in _table_rows(guide.read_text(encoding="utf-8")):
        if len(row) < 2:
            continue
        first = _SPAN.fullmatch(row[0])
        if first is None or not _PY_FILE.match(first.group(1)):
            continue
        path = _resolve(guide, first.group(1))
        if path is None:
            continue  # reported by the test above
        for span in _SPAN.findall(row[1]):
            name = _checked_name(span)
            if name is not None and name not in _bound_names(path):
                wrong.append(f"{first.group(1)}: {span}")
    assert not wrong, f"{guide.relative_to(ROOT)}'s file table names what its file lacks: {wrong}"


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_dotted_project_name_resolves(guide: Path) -> None:
    problems = sorted({problem for span in _code_spans(guide.read_text(encoding="utf-8"))
                       if (problem := _dotted_problem(span)) is not None})
    assert not problems, f"{guide.relative_to(ROOT)} names what does not exist: {problems}"


FASTAPI_APP = ROOT / "mounted_apis" / "fastapi_app"
FLASK_APP = ROOT / "mounted_apis" / "flask_app"
IMPLEMENTATIONS = [
    # (guide, folder, how the guide names a file of the folder)
    (FASTAPI_APP / "README.md", FASTAPI_APP, ""),
    (FLASK_APP / "README.md", FLASK_APP, ""),
    (ROOT / "docs" / "drf.md", ROOT / "drf_support", "drf_support/"),
]


@pytest.mark.parametrize(("guide", "folder", "prefix"), IMPLEMENTATIONS,
                         ids=lambda value: value.name if isinstance(value, Path) else None)
def test_every_file_of_an_implementation_is_in_its_guide(
    guide: Path, folder: Path, prefix: str
) -> None:
    named = set(_code_spans(guide.read_text(encoding="utf-8")))
    files = sorted(prefix + path.relative_to(folder).as_posix() for path in folder.rglob("*.py"))
    assert files, f"no Python files under {folder}"
    missing = [name for name in files if name not in named]
    assert not missing, f"{guide.relative_to(ROOT)} leaves out {', '.join(missing)}"


def test_the_settings_page_names_every_variable() -> None:
    settings = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'(?:env\.\w+|_secret)\(\s*"([A-Z][A-Z0-9_]*)"', settings))
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= read  # the pattern still finds them
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = sorted(name for name in read if f"`{name}`" not in page)
    assert not missing, f"docs/settings.md leaves out {', '.join(missing)}"


def test_the_dependencies_page_names_every_package() -> None:
    packages = set()
    for requirements in (ROOT / "requirements").glob("*.txt"):
        for line in requirements.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                packages.add(re.split(r"[\[=<>~!; ]", line, maxsplit=1)[0].lower())
    assert {"django", "fastapi", "flask"} <= packages
    page = (ROOT / "docs" / "dependencies.md").read_text(encoding="utf-8").lower()
    rows = [line.split("|")[1] for line in page.splitlines() if line.startswith("| ")]
    named = set(re.findall(r"[a-z0-9][a-z0-9_.-]*", " ".join(rows)))
    missing = sorted(packages - named)
    assert not missing, f"docs/dependencies.md leaves out {', '.join(missing)}"


def test_the_guides_are_found() -> None:
    # A renamed guide must not turn this module into a test of nothing.
    assert all(guide.is_file() for guide in GUIDES)
    assert len(GUIDES) >= 4
