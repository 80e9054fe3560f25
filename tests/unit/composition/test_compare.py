"""/compare: every named object resolves, and the page shows each concept three times.

The page quotes the source by name (config.compare_source): if a function,
class or assignment it names is renamed or removed, the first test fails.
"""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from config import compare
from config.compare import CONCEPTS, all_references, compare_html
from config.compare_source import highlight, module_path, snippet, widest_unbreakable


@pytest.mark.parametrize("reference", sorted(set(all_references())))
def test_every_reference_resolves_to_its_current_source(reference: str) -> None:
    """A rename or a move breaks this test, not the page."""
    part = snippet(reference)
    _, _, qualname = reference.partition(":")  # empty for a whole module
    name = qualname.rpartition(".")[2]
    assert part.code.strip()
    assert part.last_line >= part.first_line >= 1
    if name:  # the shown lines define or assign that very name
        assert any(
            line.startswith((f"def {name}(", f"async def {name}(", f"class {name}", f"{name} =",
                             f"{name}: "))
            for line in part.code.splitlines()
        ), part.code[:200]


def test_every_concept_has_three_columns_with_code() -> None:
    # One row per concept, in the order a reader meets them.
    assert [concept.slug for concept in CONCEPTS] == [
        "wiring", "routing", "validation", "serialization", "database", "auth", "permissions",
        "rate-limiting", "caching", "errors", "docs", "tests",
    ]
    for concept in CONCEPTS:
        frameworks = [implementation.framework for implementation in concept.implementations]
        assert frameworks == ["drf", "fastapi", "flask"]
        assert concept.differs.endswith(".") and len(concept.differs) > 200, concept.slug
        for implementation in concept.implementations:
            assert implementation.references, (concept.slug, implementation.framework)
            assert implementation.does_for_you.endswith((".", "!"))


def test_the_idiom_comes_before_the_tuned_read() -> None:
    """The one-round-trip cached read is never the first code of a column."""
    tuned = {"books.drf_fast_read:OneRoundTripCachedReads.answer_from_cache",
             "books.drf_fast_read:cached_read",
             "mounted_apis.fastapi_app.fast_read:cached_read",
             "mounted_apis.fastapi_app.fast_read:CachedRead",
             "mounted_apis.fastapi_app.fast_read:CachedReadRoute",
             "mounted_apis.flask_app.fast_read:cached_read"}
    for concept in CONCEPTS:
        for implementation in concept.implementations:
            assert not tuned & set(implementation.references), (concept.slug, implementation)
    caching = next(concept for concept in CONCEPTS if concept.slug == "caching")
    assert all(implementation.tuned for implementation in caching.implementations)


def test_code_is_highlighted_line_by_line() -> None:
    html = highlight('def f(x):\n    """Doc\n    string."""\n\n    return x  # <b>\n')
    assert html.count('<span class="line"') == 5
    # Each line knows its indent (wrapped parts hang under it), and keeps its spaces.
    assert '<span class="line" style="--indent:4">    <span class="k">return</span>' in html
    assert '<span class="k">def</span>' in html and '<span class="nf">f</span>' in html
    assert "&lt;b&gt;" in html and "<b>" not in html  # escaped by Pygments


def test_a_test_module_is_read_without_importing_it() -> None:
    part = snippet("tests.unit.flask_app.conftest:flask_client")
    assert part.code.startswith("@pytest.fixture\ndef flask_client(")
    assert part.path == "tests/unit/flask_app/conftest.py"


def test_a_reference_that_moved_is_an_error() -> None:
    with pytest.raises(AttributeError):
        snippet("books.views:BookViewSet.no_such_action")
    with pytest.raises(AttributeError):
        snippet("mounted_apis.fastapi_app.deps:NoSuchAlias")
    with pytest.raises(ImportError):
        module_path("mounted_apis.no_such_module")
    with pytest.raises(ImportError):
        snippet("mounted_apis.no_such_module:thing")


def test_a_method_is_shown_without_its_class_indent() -> None:
    part = snippet("books.views:BookViewSet.create")
    assert part.code.startswith("def create(")
    assert part.path == "books/views.py"


@pytest.mark.django_db
def test_the_page_renders_each_concept_in_three_columns(client: Client) -> None:
    response = client.get("/compare")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    body = response.content.decode()
    for concept in CONCEPTS:
        assert f'data-concept="{concept.slug}"' in body
        assert html.escape(concept.title) in body
        assert html.escape(concept.differs) in body
    for framework in ("drf", "fastapi", "flask"):
        assert body.count(f'<article class="column" data-framework="{framework}">') == len(CONCEPTS)
    # The real source, highlighted: the FastAPI dependency alias and a Flask decorator.
    assert '<span class="n">CurrentUser</span>' in body
    assert '<span class="nd">@require_role</span>' in body
    assert ".hl .k {" in body or ".hl .k{" in body  # Pygments' colours, inline
    # Nothing fetched from elsewhere: no script, no stylesheet link, no image.
    assert "<script" not in body and "<link" not in body and "<img" not in body


@pytest.mark.django_db
def test_the_page_is_built_once_per_process(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    real = compare.compare_page
    def counted() -> list[compare.ConceptPage]:
        built.append(1)
        return real()

    monkeypatch.setattr(compare, "compare_page", counted)
    compare_html.cache_clear()
    try:
        first = client.get("/compare").content
        second = client.get("/compare").content
    finally:
        compare_html.cache_clear()
    assert first == second
    assert built == [1]


@pytest.mark.django_db
def test_the_landing_page_links_to_it(client: Client) -> None:
    assert 'href="/compare"' in client.get("/").content.decode()


def test_the_serve_banner_names_it() -> None:
    spec = importlib.util.spec_from_file_location("dev_script", Path(settings.BASE_DIR) / "dev.py")
    assert spec is not None and spec.loader is not None
    dev = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dev)
    assert "http://127.0.0.1:8000/compare" in dev.ready_banner("http://127.0.0.1:8000").split()


def test_lines_may_wrap_between_tokens_never_inside_a_name() -> None:
    code = 'x = BookPublic.model_validate(book, key=[1, 2])  # see a.b/c\n'
    shown = highlight(code)
    # Before the dot, after the bracket and the comma; in the comment, at its dots and slashes.
    assert '<span class="n">BookPublic</span><wbr><span class="o">.</span>' in shown
    assert '<span class="p">(</span><wbr>' in shown and '<span class="p">,</span><wbr>' in shown
    for reference in sorted(set(all_references())):
        text = snippet(reference).html
        # A <wbr> between two letters of the same word would let the browser break a name.
        assert not re.search(r"\w<wbr>\w", text), reference
        # Nothing added but the (empty) <wbr> elements: the same characters, line by line.
        lines = text.replace('</span><span class="line"', '</span>\n<span class="line"')
        shown_text = html.unescape(re.sub(r"<[^>]+>", "", lines))
        assert shown_text == snippet(reference).code, reference


def test_the_widest_unbreakable_run_counts_its_hanging_indent() -> None:
    # ".model_validate(" is the widest run (a dot goes with the name after it),
    # + 4 for where a wrapped row starts.
    assert widest_unbreakable("x = BookPublic.model_validate(book)") == 4 + len(".model_validate(")
    # A deep continuation line hangs at most MAX_HANG + 4 characters in.
    assert widest_unbreakable(" " * 39 + "name") == 8 + 4 + len("name")
