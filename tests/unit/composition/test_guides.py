"""/guides/<slug>: the markdown guides as HTML, with GitHub's anchors and links that work here."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from config.guides import FRAMEWORK_GUIDES, _Renderer, guide_sources, guides, heading_anchor


def test_anchors_are_spelled_as_github_spells_them() -> None:
    assert heading_anchor("Settings: `REST_FRAMEWORK` in `config/settings.py`") == (
        "settings-rest_framework-in-configsettingspy"
    )
    assert heading_anchor("1. A login: `POST /auth/token`") == "1-a-login-post-authtoken"


def test_relative_links_become_served_urls_and_source_links_lose_their_href() -> None:
    served = {
        "drf": "docs/drf.md", "api": "docs/API.md", "fastapi": "mounted_apis/fastapi_app/README.md"
    }
    text = (
        "# Title\n\n## Two words\n\n## Two words\n\n"
        "[contract](../../docs/API.md#errors), [drf](../../docs/drf.md), "
        "[code](deps.py), [site](https://example.com/x.md), [here](#two-words)\n"
    )
    title, html, sections = _Renderer("mounted_apis/fastapi_app/README.md", served).render(text)
    assert title == "Title"
    assert [section.anchor for section in sections] == ["title", "two-words", "two-words-1"]
    assert '<h2 id="two-words-1">' in html
    assert '<a href="/guides/api#errors">contract</a>' in html
    assert '<a href="/guides/drf">drf</a>' in html
    assert '<a class="source">code</a>' in html
    assert '<a href="https://example.com/x.md">site</a>' in html
    assert '<a href="#two-words">here</a>' in html


def test_every_guide_and_doc_page_is_served() -> None:
    sources = guide_sources()
    assert {slug: sources[slug] for slug in FRAMEWORK_GUIDES} == FRAMEWORK_GUIDES
    assert {"api", "sql", "walkthrough"} <= set(sources)


@pytest.mark.django_db
@pytest.mark.parametrize("slug", sorted(guide_sources()))
def test_each_page_answers_html_whose_links_answer(client: Client, slug: str) -> None:
    response = client.get(f"/guides/{slug}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    body = response.content.decode()
    assert f"<h1 id=\"{guides()[slug].sections[0].anchor}\">" in body
    assert "<script" not in body
    for href in set(re.findall(r'href="(/guides/[^"#]+)(?:#([^"]*))?"', body)):
        url, anchor = href
        target = guides()[url.removeprefix("/guides/")]
        if anchor:
            assert anchor in {section.anchor for section in target.sections}, (slug, url, anchor)


@pytest.mark.django_db
def test_an_unknown_guide_is_404_and_a_post_is_405(client: Client) -> None:
    assert client.get("/guides/no-such-guide").status_code == 404
    assert client.post("/guides/drf").status_code == 405
