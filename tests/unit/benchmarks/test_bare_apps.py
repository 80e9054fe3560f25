"""Each bare baseline answers `GET /books` with exactly the payload it was given.

In-process, through each app's own ASGI entry point (a2wsgi included for
Flask and DRF), as uvicorn would call it; no server, no wrk.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import override_settings

from benchmarks.bare import drf_app, fastapi_app, flask_app, raw_asgi
from benchmarks.bare.payload import PAYLOAD_ENV, compact_json, load_payload

# The shape of the project's first page, with text that is not ASCII.
PAGE = {
    "data": [
        {"id": n, "title": f"Les Misérables, tome {n}", "author": "Victor Hugo", "year": 1862,
         "isbn": None, "description": "", "created_by": 1,
         "created_at": "2026-11-28T10:00:00Z", "updated_at": "2026-11-28T10:00:00Z"}
        for n in range(1, 21)
    ],
    "meta": {"page": 1, "page_size": 20, "total": 300, "pages": 15},
    "links": {"self": "http://127.0.0.1/api/fastapi/books", "next": None, "prev": None},
}


@pytest.fixture
def payload_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "page.json"
    path.write_text(json.dumps(PAGE), encoding="utf-8")
    monkeypatch.setenv(PAYLOAD_ENV, str(path))
    return path


def _get_books(app: Any) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.get("/books")

    return asyncio.run(call())


def _assert_serves_the_page(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == PAGE


def test_raw_asgi_serves_the_page(payload_file: Path) -> None:
    response = _get_books(raw_asgi.create_app())
    _assert_serves_the_page(response)
    # Compact, UTF-8 as is: the bytes the frameworks' renderers produce.
    assert response.content == compact_json(PAGE)


def test_fastapi_serves_the_page(payload_file: Path) -> None:
    _assert_serves_the_page(_get_books(fastapi_app.create_app()))


def test_flask_through_a2wsgi_serves_the_page(payload_file: Path) -> None:
    _assert_serves_the_page(_get_books(flask_app.create_app()))


def test_drf_apiview_through_a2wsgi_serves_the_page(payload_file: Path) -> None:
    # The bare settings have no middleware; the project's would add headers, not change JSON.
    with override_settings(ROOT_URLCONF="benchmarks.bare.drf_app", MIDDLEWARE=[]):
        _assert_serves_the_page(_get_books(drf_app.create_app()))


def test_the_payload_must_be_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PAYLOAD_ENV, raising=False)
    with pytest.raises(RuntimeError, match=PAYLOAD_ENV):
        load_payload()


def test_the_payload_must_be_an_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    monkeypatch.setenv(PAYLOAD_ENV, str(path))
    with pytest.raises(RuntimeError, match="JSON object"):
        load_payload()
