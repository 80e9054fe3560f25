"""The OpenAPI document's facts from the declaration, and Swagger UI / ReDoc served offline.

`contract(operation_id)` turns one declared operation (common.operations)
into the arguments of FastAPI's route decorator: summary, description,
operation id, tags, success status, every response with its words, and
through `openapi_extra` what FastAPI cannot infer from the signature (the
`{}` that makes a token optional, the list query parameters read from the
raw query string, the token endpoint's form, an optional body).

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
from common.openapi_contract import (
    answers,
    complete_document,
    query_parameters,
    security,
    token_form,
)
from common.operations import TAGS, by_id

from . import schemas

STATIC_PATH = "/static"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"

OPENAPI_TAGS = [{"name": name, "description": description} for name, description in TAGS]


def contract(operation_id: str, *, bearer_dependency: bool = True) -> dict[str, Any]:
    """The route decorator's documentation arguments for one declared operation.

        @router.post("/register", dependencies=[...], **contract("register"))

    A route whose dependencies include the OAuth2 scheme (deps.get_access)
    is documented with it by FastAPI; `bearer_dependency=False` says the
    route reads the token without it (deps.cached_read, which skips that
    per-request dependency), so the security comes whole from here.
    """
    operation = by_id(operation_id)
    responses: dict[int | str, dict[str, Any]] = {}
    for answer in answers(operation):
        response: dict[str, Any] = {"description": answer.description}
        if answer.model and answer.status != operation.status:
            # The success body's model is the route's own return type.
            response["model"] = getattr(schemas, answer.model)
        if answer.headers:
            response["headers"] = answer.headers
        responses[answer.status] = response
    extra: dict[str, Any] = {}
    declared = security(operation) or []
    if bearer_dependency and operation.auth == "optional":
        # The OAuth2 dependency documents the token; `{}` says it may be left out.
        extra["security"] = [{}]
    elif not bearer_dependency and declared:
        extra["security"] = declared
    if parameters := query_parameters(operation):
        extra["parameters"] = parameters  # read from the raw query string, not the signature
    if operation.operation_id == "token":
        extra["requestBody"] = token_form()  # read from the raw body (RFC 6749's form)
    elif operation.body and not operation.body_required:
        extra["requestBody"] = {"required": False}
    return {
        "summary": operation.summary,
        "description": operation.description,
        "operation_id": operation.operation_id,
        "tags": [operation.tag],
        "status_code": operation.status,
        "responses": responses,
        "openapi_extra": extra or None,
    }


def _openapi_without_fastapi_422(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, minus its default 422 `HTTPValidationError`.

    FastAPI adds a 422 in its own shape to every route with parameters and no
    422 of its own (it has no option to leave it out); ours answer in the
    envelope, and the operations that can 422 declare it (common.operations),
    so FastAPI's default is only removed, never replaced. Generated once,
    then cached, as FastAPI does.
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
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    # The value rules no generator can state (common.openapi_contract).
    app.openapi_schema = complete_document(schema)
    return schema


def install_docs(app: FastAPI) -> None:
    """Mount the sidecar assets and add /docs, /docs/oauth2-redirect and /redoc."""
    app.openapi = lambda: _openapi_without_fastapi_422(app)  # type: ignore[method-assign]
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
