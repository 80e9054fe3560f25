"""The project's layers, read from its imports: who may import whom, and no circles.

Every .py file of the project is parsed with `ast`; every import counts,
wherever it is written (module level, inside a function, under
TYPE_CHECKING): an import moved into a function still makes the dependency.

1. By folder. Each top-level folder may import only the folders below it:

       config/ (the composition root), benchmarks/, dev.py, manage.py
         -> mounted_apis/ (FastAPI, Flask)
              -> accounts/, books/, throttling/ (the Django apps: the domain,
                 and their DRF adapters: views.py, serializers.py, ...)
                   -> drf_support/ (project-wide DRF pieces: the exception
                      handler, parsers, pagination classes, the browsable API)
                        -> common/ (shared pieces, no knowledge of any app)

2. The domain is framework-free: outside the DRF adapter modules each app
   keeps under the names a DRF user looks for, the apps and common/ import
   no web framework (DRF, FastAPI, Starlette, Flask, Pydantic).
3. No import cycles among the project's modules (strongly connected
   components of the import graph), and none among its packages: if
   `accounts` imports `throttling`, nothing in `throttling` imports
   `accounts` (the app-level graph, one node per app, has no circle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "common", "drf_support", "accounts", "books", "throttling", "mounted_apis", "config",
    "benchmarks",
)
SCRIPTS = ("dev.py", "manage.py")

DOMAIN = {"accounts", "books", "throttling"}
# What each folder (or top-level script) may import, besides itself.
MAY_IMPORT: dict[str, set[str]] = {
    "common": set(),
    "drf_support": {"common"},
    "accounts": {"common", "drf_support"} | DOMAIN,
    "books": {"common", "drf_support"} | DOMAIN,
    "throttling": {"common", "drf_support"} | DOMAIN,
    "mounted_apis": {"common"} | DOMAIN,
    "config": {"common", "drf_support", "mounted_apis"} | DOMAIN,
    "benchmarks": {"common", "drf_support", "mounted_apis", "config", "dev"} | DOMAIN,
    "dev": {"config"},  # config.serving: standard library only
    "manage": {"config"},
}
# Upward imports still waiting for their fix, each with where it is being
# fixed. The test fails once one is no longer there: then remove it here.
PENDING: set[tuple[str, str]] = set()

FRAMEWORKS = ("rest_framework", "drf_spectacular", "fastapi", "starlette", "flask", "pydantic")
# The DRF adapter modules of each app, allowed to import DRF: named the way a
# DRF user looks for them.
DRF_ADAPTERS = {
    "views.py", "serializers.py", "authentication.py", "permissions.py",
    "throttles.py", "urls.py", "admin.py",
    "drf_fast_read.py",  # books: the cached read's speed path, as a view set mixin
    "session.py",  # accounts: the browsable API's session login (DRF's SessionAuthentication)
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    modules = {_module_name(path): path for name in SCRIPTS if (path := ROOT / name).exists()}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            modules[_module_name(path)] = path
    return modules


def _project_module(name: str) -> str | None:
    """The project module `name` lives in (itself, or the nearest package above it)."""
    modules = _modules()
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """Every dotted name an import statement of the file names, relative ones resolved."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if node.module:
                yield source  # `from . import sibling` names only the sibling
            # `from package import module` imports that module.
            yield from (f"{source}.{alias.name}" for alias in node.names)


@cache
def _graph() -> dict[str, frozenset[str]]:
    """Project module -> the project modules it imports."""
    graph: dict[str, frozenset[str]] = {}
    for module, path in _modules().items():
        targets = {_project_module(name) for name in _imported_names(module, path)}
        graph[module] = frozenset(t for t in targets if t is not None and t != module)
    return graph


def _folder(module: str) -> str:
    return module.split(".")[0]


def _upward_imports() -> set[tuple[str, str]]:
    return {
        (module, target)
        for module, targets in _graph().items()
        for target in targets
        if _folder(target) != _folder(module)
        and _folder(target) not in MAY_IMPORT[_folder(module)]
    }


def _cycles(graph: dict[str, frozenset[str]] | None = None) -> list[list[str]]:
    """A graph's strongly connected components of more than one node (Tarjan).

    The module import graph unless another graph is given.
    """
    graph = _graph() if graph is None else graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


# --- 1. by folder -------------------------------------------------------------------------


def test_every_folder_imports_only_the_layers_below_it() -> None:
    assert _upward_imports() - PENDING == set()


def test_every_pending_exception_is_still_needed() -> None:
    assert PENDING - _upward_imports() == set(), "fixed: remove it from PENDING"


def test_common_imports_no_app() -> None:
    offending = {
        (module, target)
        for module, targets in _graph().items()
        if _folder(module) == "common"
        for target in targets
        if _folder(target) != "common"
    }
    assert offending - PENDING == set()


# --- 2. a framework-free domain ---------------------------------------------------------


def _domain_modules() -> list[str]:
    return sorted(
        module
        for module, path in _modules().items()
        if (
            _folder(module) in DOMAIN
            and path.name not in DRF_ADAPTERS
            and "migrations" not in path.parts
        )
        or (_folder(module) == "common" and path.parent == ROOT / "common")
    )


@pytest.mark.parametrize("module", _domain_modules())
def test_domain_module_imports_no_web_framework(module: str) -> None:
    path = _modules()[module]
    roots = {name.split(".")[0] for name in _imported_names(module, path) if name}
    assert not roots & set(FRAMEWORKS)


# --- 3. no circles ------------------------------------------------------------------------


def test_no_import_cycles() -> None:
    assert _cycles() == []


def _package_graph() -> dict[str, frozenset[str]]:
    """Top-level package -> the other top-level packages its modules import."""
    packages: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        imported = packages.setdefault(_folder(module), set())
        imported.update(_folder(t) for t in targets if _folder(t) != _folder(module))
    return {package: frozenset(targets) for package, targets in packages.items()}


def test_no_package_cycles() -> None:
    """`accounts` -> `throttling` -> `accounts` is a circle even if no two modules form one."""
    assert _cycles(_package_graph()) == []


# --- the checks see what they guard --------------------------------------------------------


def test_the_checks_see_the_modules_they_guard() -> None:
    graph = _graph()
    assert "accounts.tokens" in graph["accounts.services"]
    assert "accounts.models" in graph["accounts.tokens"]  # `from accounts.models import ...`
    assert "common.errors" in graph["mounted_apis.fastapi_app.errors"]  # relative imports too
    domain = set(_domain_modules())
    assert {"books.services", "accounts.tokens", "throttling.limiter", "common.errors"} <= domain
    assert "books.views" not in domain


def test_the_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    # The circle this project had: models -> tokens -> jwt_tokens -> models.
    graph = {
        "accounts.models": frozenset({"accounts.tokens"}),
        "accounts.tokens": frozenset({"accounts.jwt_tokens"}),
        "accounts.jwt_tokens": frozenset({"accounts.models"}),
        "common.errors": frozenset(),
    }
    monkeypatch.setitem(globals(), "_graph", lambda: graph)
    assert _cycles() == [["accounts.jwt_tokens", "accounts.models", "accounts.tokens"]]


def test_the_package_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    # The circle this project had: accounts.oauth -> throttling.lockout -> accounts.identity.
    graph = {
        "accounts.oauth": frozenset({"throttling.lockout"}),
        "throttling.lockout": frozenset({"accounts.identity"}),
        "accounts.identity": frozenset(),
    }
    monkeypatch.setitem(globals(), "_graph", lambda: graph)
    assert _cycles(_package_graph()) == [["accounts", "throttling"]]
