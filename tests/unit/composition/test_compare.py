"""/compare: every named object resolves, and the page shows each concept three times."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from config.compare import CONCEPTS, all_references
from config.compare_source import resolve, snippet


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
            line.startswith((f"def {name}(", f"async def {name}(", f"class {name}", f"{name} ="))
            for line in part.code.splitlines()
        ), part.code[:200]


def test_every_concept_has_three_columns_with_code() -> None:
    assert len(CONCEPTS) == 9
    for concept in CONCEPTS:
        frameworks = [implementation.framework for implementation in concept.implementations]
        assert frameworks == ["drf", "fastapi", "flask"]
        for implementation in concept.implementations:
            assert implementation.references, (concept.slug, implementation.framework)
            assert implementation.does_for_you.endswith((".", "!"))


def test_a_reference_that_moved_is_an_error() -> None:
    with pytest.raises(AttributeError):
        snippet("books.views:BookViewSet.no_such_action")
    with pytest.raises(AttributeError):
        snippet("mounted_apis.fastapi_app.deps:NoSuchAlias")
    with pytest.raises(ImportError):
        resolve("mounted_apis.no_such_module:thing")


def test_a_method_is_shown_without_its_class_indent() -> None:
    part = snippet("books.views:BookViewSet.list")
    assert part.code.startswith("def list(")
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
    for framework in ("drf", "fastapi", "flask"):
        assert body.count(f'<article class="column" data-framework="{framework}">') == len(CONCEPTS)
    # The real source, escaped: the FastAPI dependency alias and a Flask decorator.
    assert html.escape("CurrentUser = Annotated[User, Depends(get_current_user)]") in body
    assert '@require_role(&quot;admin&quot;)' in body
    # Nothing fetched from elsewhere: no script, no stylesheet link, no image.
    assert "<script" not in body and "<link" not in body and "<img" not in body


@pytest.mark.django_db
def test_the_landing_page_links_to_it(client: Client) -> None:
    assert 'href="/compare"' in client.get("/").content.decode()
