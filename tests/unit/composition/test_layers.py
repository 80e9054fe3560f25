"""The domain layer is framework-free: DRF, FastAPI and Flask sit on top of it.

Each Django app keeps its DRF adapters in files named the way a DRF user
looks for them (views.py, serializers.py, authentication.py, permissions.py,
throttles.py, urls.py); everything else in the app, and common/ outside its
drf/ and asgi/ packages, is domain or framework-neutral code that all three
HTTP layers call. This test reads the imports of those modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FRAMEWORKS = ("rest_framework", "drf_spectacular", "fastapi", "starlette", "flask", "pydantic")
# The DRF adapter modules of each app: allowed to import DRF, by name.
DRF_ADAPTERS = {
    "views.py", "serializers.py", "authentication.py", "permissions.py",
    "throttles.py", "urls.py", "admin.py",
}
APPS = ("accounts", "books", "throttling")


def _domain_modules() -> list[Path]:
    modules: list[Path] = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path.name in DRF_ADAPTERS or "migrations" in path.parts:
                continue
            modules.append(path)
    modules.extend(sorted((ROOT / "common").glob("*.py")))
    return modules


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_module_imports_no_web_framework(path: Path) -> None:
    assert not _imported_roots(path) & set(FRAMEWORKS)


def test_the_check_sees_the_modules_it_guards() -> None:
    names = {str(p.relative_to(ROOT)) for p in _domain_modules()}
    assert {"books/services.py", "accounts/tokens.py", "throttling/limiter.py",
            "common/errors.py"} <= names
    assert "books/views.py" not in names
