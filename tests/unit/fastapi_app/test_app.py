"""FastAPI-specific behaviour: auth dependencies, limits, docs, db.run_db, rendering."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import anyio
import pytest
from django.db import connections
from starlette.testclient import TestClient

from common.db import pool_max_size
from common.errors import ServiceUnavailable
from common.rendering import drf_datetime
from mounted_apis.fastapi_app import deps
from mounted_apis.fastapi_app.db import run_db

from .conftest import PREFIX

# --- Authentication -------------------------------------------------------------------


def test_no_token_is_401_with_a_bare_bearer_challenge(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/auth/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "Bearer not-a-jwt", "bearer x.y.z"])
def test_a_bad_bearer_header_is_invalid_token(client: TestClient, header: str) -> None:
    response = client.get(f"{PREFIX}/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_another_scheme_is_anonymous(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/auth/me", headers={"Authorization": "Basic YTpi"})
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_with_a_token(client: TestClient, alice, alice_headers: dict) -> None:
    body = client.get(f"{PREFIX}/auth/me", headers=alice_headers).json()
    assert body["data"]["username"] == "alice"
    assert "password" not in body["data"]


def test_the_token_endpoint_ignores_a_stale_bearer_header(client: TestClient, alice) -> None:
    response = client.post(
        f"{PREFIX}/auth/token",
        data={"username": "alice", "password": "Tr0mbone-Quartz-Lantern"},
        headers={"Authorization": "Bearer expired.or.junk"},
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_the_token_endpoint_keeps_the_rfc_shape_when_the_limiter_fails(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def cache_down(**kwargs):
        raise ServiceUnavailable(retry_after=30)

    monkeypatch.setattr(deps, "acheck_rate", cache_down)
    response = client.post(f"{PREFIX}/auth/token", data={"username": "a", "password": "b"})
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert response.headers["Retry-After"] == "30"
    assert response.headers["Cache-Control"] == "no-store"


# --- Rate-limit headers ---------------------------------------------------------------------


def test_ratelimit_headers_on_success_and_on_errors(client: TestClient) -> None:
    ok = client.get(f"{PREFIX}/books")
    missing = client.get(f"{PREFIX}/books/999999")
    assert ok.status_code == 200 and missing.status_code == 404
    for response in (ok, missing):
        assert response.headers["RateLimit-Policy"] == '"anon";q=100;w=60'
        assert response.headers["RateLimit"].startswith('"anon";r=')
    assert ok.headers["X-Cache"] in {"HIT", "MISS"}


def test_permission_comes_before_the_budget_like_drf(client: TestClient) -> None:
    """DRF checks IsAuthenticated before throttles: no budget spent, no headers."""
    response = client.get(f"{PREFIX}/users")
    assert response.status_code == 401
    assert "RateLimit" not in response.headers


# --- Docs ----------------------------------------------------------------------------------


def test_swagger_ui_is_served_offline(client: TestClient) -> None:
    page = client.get(f"{PREFIX}/docs")
    assert page.status_code == 200
    assert f"{PREFIX}/static/swagger-ui-dist/swagger-ui-bundle.js" in page.text
    assert "cdn.jsdelivr" not in page.text
    asset = client.get(f"{PREFIX}/static/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert client.get(f"{PREFIX}/docs/oauth2-redirect").status_code == 200


def test_redoc_is_served_offline(client: TestClient) -> None:
    page = client.get(f"{PREFIX}/redoc")
    assert f"{PREFIX}/static/redoc/bundles/redoc.standalone.js" in page.text
    assert "fonts.googleapis" not in page.text
    assert client.get(f"{PREFIX}/static/redoc/bundles/redoc.standalone.js").status_code == 200


def test_openapi_documents_errors_and_the_password_flow(client: TestClient) -> None:
    schema = client.get(f"{PREFIX}/openapi.json").json()
    flow = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]
    assert flow["tokenUrl"] == "auth/token"
    assert schema["servers"] == [{"url": PREFIX}]
    create = schema["paths"]["/books"]["post"]
    for code in ("401", "409", "422", "429"):
        ref = create["responses"][code]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorEnvelope")
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    token = schema["paths"]["/auth/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]


# --- db.run_db -------------------------------------------------------------------------------


def test_run_db_gives_the_connection_back(transactional_db) -> None:
    def query() -> object:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return connections["default"]  # this worker thread's own wrapper

    async def main() -> object:
        return await run_db(query)

    used = anyio.run(main)
    assert used is not connections["default"]  # another thread's connection...
    assert used.connection is None  # ...closed (back to the pool) once the call ended


def test_run_db_gives_the_connection_back_after_an_error(transactional_db) -> None:
    used: list[object] = []

    def failing_query() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        used.append(connections["default"])
        raise ValueError("boom")

    async def main() -> None:
        await run_db(failing_query)

    with pytest.raises(ValueError, match="boom"):
        anyio.run(main)
    assert used[0].connection is None


def test_run_db_runs_side_by_side_up_to_the_pool_size(db) -> None:
    """thread_sensitive=False on an executor of pool size: calls overlap, never beyond it."""
    size = pool_max_size()
    running = 0
    most = 0
    threads: set[str] = set()
    lock = threading.Lock()
    # Opens only when `size` calls wait at once: proof that that many overlap.
    all_in = threading.Barrier(size, timeout=10)

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.current_thread().name)
        all_in.wait()
        with lock:
            running -= 1

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for _ in range(3 * size):
                group.start_soon(run_db, work)

    anyio.run(main)
    assert most == size
    assert len(threads) == size and all(name.startswith("run_db") for name in threads)


# --- Rendering -------------------------------------------------------------------------------


def test_datetimes_render_like_drf() -> None:
    assert drf_datetime(datetime(2024, 5, 1, 12, 0, tzinfo=UTC)) == "2024-05-01T12:00:00Z"
    assert (
        drf_datetime(datetime(2024, 5, 1, 12, 0, 0, 120000, tzinfo=UTC))
        == "2024-05-01T12:00:00.120000Z"
    )


def test_a_book_reads_byte_for_byte_like_drf(client: TestClient, alice_headers: dict) -> None:
    created = client.post(
        f"{PREFIX}/books",
        json={"title": "Ünïcode “quotes”", "author": "A", "year": 1999, "isbn": "0-306-40615-2"},
        headers=alice_headers,
    )
    assert created.status_code == 201
    book_id = created.json()["data"]["id"]
    assert created.headers["Location"] == f"http://testserver{PREFIX}/books/{book_id}"
    fastapi = client.get(f"{PREFIX}/books/{book_id}")
    drf = client.get(f"/api/drf/books/{book_id}")
    assert fastapi.content == drf.content
    fastapi_page = client.get(f"{PREFIX}/books?page_size=1&sort=year:desc")
    drf_page = client.get("/api/drf/books?page_size=1&sort=year:desc")
    assert fastapi_page.content == drf_page.content.replace(b"/api/drf/", f"{PREFIX}/".encode())
