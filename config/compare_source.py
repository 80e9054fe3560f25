"""Read the project's own source at run time, for the /compare page.

A reference names one object by its import path:

    "books.views:BookViewSet.list"      a function, class or method: its source
    "mounted_apis.fastapi_app.deps:CurrentUser"
                                        any other module-level name: the
                                        statement that assigns it (with the
                                        comment lines right above it)
    "books.urls"                        no name: the whole module

Nothing is copied: a rename makes `snippet()` raise (and the unit test that
resolves every reference fail), an edit shows up on the next page load.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from django.conf import settings


@dataclass(frozen=True)
class Snippet:
    """The lines of one reference, and where they live."""

    reference: str
    path: str  # relative to the project root
    first_line: int
    last_line: int
    code: str


def resolve(reference: str) -> tuple[ModuleType, Any]:
    """The reference's module and object (the module itself when no name is given).

    :raise ImportError, AttributeError: the module or the name no longer exists.
    """
    module_name, _, qualname = reference.partition(":")
    module = importlib.import_module(module_name)
    target: Any = module
    for part in qualname.split(".") if qualname else ():
        target = getattr(target, part)
    return module, target


def _has_own_source(target: Any) -> bool:
    target = inspect.unwrap(target) if callable(target) else target
    return inspect.isfunction(target) or inspect.isclass(target) or inspect.ismethod(target)


def _assignment_lines(module: ModuleType, name: str) -> tuple[list[str], int]:
    """The module-level statement assigning `name`, with the comments just above it."""
    lines = Path(inspect.getfile(module)).read_text(encoding="utf-8").splitlines(keepends=True)
    for node in ast.parse("".join(lines)).body:
        targets = (
            node.targets if isinstance(node, ast.Assign)
            else [node.target] if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            start = node.lineno  # 1-based
            while start > 1 and lines[start - 2].lstrip().startswith("#"):
                start -= 1
            end = node.end_lineno or node.lineno
            return lines[start - 1 : end], start
    raise AttributeError(f"{module.__name__} assigns no module-level {name!r}")


def snippet(reference: str) -> Snippet:
    """The current source of `reference` (see the module docstring)."""
    module, target = resolve(reference)
    _, _, qualname = reference.partition(":")
    if not qualname:
        lines, first = inspect.getsourcelines(module)
        first = max(first, 1)
    elif _has_own_source(target):
        lines, first = inspect.getsourcelines(target)  # unwraps functools.wraps decorators
    elif "." not in qualname:
        lines, first = _assignment_lines(module, qualname)
    else:
        raise TypeError(f"{reference}: an attribute that is not a function or class")
    path = Path(inspect.getfile(module)).resolve().relative_to(Path(settings.BASE_DIR).resolve())
    return Snippet(
        reference=reference,
        path=str(path),
        first_line=first,
        last_line=first + len(lines) - 1,
        code=textwrap.dedent("".join(lines)).rstrip(),  # a method loses its class's indent
    )
