"""The OpenAPI document's last touch, and Swagger UI / ReDoc served offline.

FastAPI writes the document from the routes: paths, parameters and bodies
from the signatures, words from `summary=`, docstrings and `responses=`.
This module only removes FastAPI's default 422 (see below).

FastAPI's built-in /docs and /redoc load their JavaScript from a CDN. The
app factory switches them off (docs_url=None, redoc_url=None) and this
module serves the same pages with the assets of the installed
drf-spectacular-sidecar package (the ones DRF's docs use), mounted at
/static: no internet needed. Every URL is built from the request's
root_path, so the pages work under /api/fastapi (or any other prefix).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from common.docs_assets import SIDECAR_STATIC

STATIC_PATH = "/static"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"

DESCRIPTION = (
    "The shared contract, served by FastAPI at /api/fastapi.\n\n"
    "Authorize with a username and password (OAuth2 password flow): the access token is then "
    "sent as `Authorization: Bearer ...` on every call. Every error answers "
    '`{"error": {"code", "message", "details"?}}`, except the token endpoint\'s RFC 6749 errors.'
)

OPENAPI_TAGS = [
    {"name": "auth", "description":
     "Accounts and tokens: register, log in (OAuth2), refresh, log out, password reset."},
    {"name": "users", "description": "User accounts: list (admin), read, change, soft-delete."},
    {"name": "books", "description": "The book catalogue: public reads, authenticated writes."},
    {"name": "demos", "description": "Watch rate limiting and brute-force lockout happen."},
    {"name": "health", "description": "Whether the database and the cache answer."},
]


def openapi_without_default_422(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, minus the 422 it adds to every route with parameters.

    (And minus the copies of each query parameter's title and description
    inside its schema.)

    FastAPI documents a 422 `HTTPValidationError` (its own error shape) for
    every route that takes parameters or a body, unless the route lists a 422
    itself. Here a 422 answers in the envelope and the routes that can answer
    one say so (`responses=errors(..., 422, ...)`); a bad path id is a 404,
    not a 422. So FastAPI's default is removed ("Extending OpenAPI" in its
    docs), then the document is cached as FastAPI caches it.
    """
    if app.openapi_schema is not None:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=app.servers,
        tags=app.openapi_tags,
    )
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            response = operation.get("responses", {}).get("422", {})
            content = response.get("content", {}).get("application/json", {})
            if content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                del operation["responses"]["422"]
            # FastAPI copies a query parameter's words (title, description)
            # into its schema too; the parameter itself carries them.
            for parameter in operation.get("parameters", []):
                for word in ("title", "description"):
                    parameter.get("schema", {}).pop(word, None)
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    app.openapi_schema = schema
    return schema


def install_docs(app: FastAPI) -> None:
    """Mount the sidecar assets and add /docs, /docs/oauth2-redirect and /redoc."""
    app.openapi = lambda: openapi_without_default_422(app)  # type: ignore[method-assign]
    app.mount(STATIC_PATH, StaticFiles(directory=SIDECAR_STATIC), name="docs-static")

    def prefix(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = prefix(request)
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{STATIC_PATH}/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_PATH}/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_PATH}/swagger-ui-dist/favicon-32x32.png",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_PATH}",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = prefix(request)
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_PATH}/redoc/bundles/redoc.standalone.js",
            with_google_fonts=False,
            redoc_favicon_url=f"{root}{STATIC_PATH}/swagger-ui-dist/favicon-32x32.png",
        )
