"""The FastAPI implementation of the contract (docs/API.md), at /api/fastapi.

    from mounted_apis.fastapi_app.main import create_app
    app = create_app()      # config.asgi mounts it with root_path="/api/fastapi"

The app reuses the Django project whole: models, services, selectors, the
token service, the limiter. What is FastAPI's own:

    routes/      one APIRouter per area (auth, users, books, demos, health)
    deps.py      CurrentUser / OptionalUser / require_admin, the RateLimit dependency
    schemas.py   Pydantic models named by direction (BookCreate, BookPublic, ...)
    errors.py    exception handlers: every error in the shared envelope
    routing.py   ContractRoute: DRF's rules for reading a JSON body
    pagination.py  the shared paging and filtering, adapted to a FastAPI Request
    db.py        run_db: the ORM in a worker thread, its connection given back
    docs.py      Swagger UI and ReDoc served offline
    route_templates.py  the matched route's template, told to the edge (metrics, log)
"""

from __future__ import annotations

from fastapi import FastAPI

from common.operations import document_description

from .docs import OPENAPI_TAGS, install_docs
from .errors import install_error_handlers
from .routes import auth, books, demos, health, users

DESCRIPTION = document_description("FastAPI", "/api/fastapi")


def create_app() -> FastAPI:
    """Build the app: routers, error handlers, middleware, docs."""
    app = FastAPI(
        title="Books API: FastAPI",
        description=DESCRIPTION,
        version="1.0.0",
        # Served by docs.py from local assets (FastAPI's defaults use a CDN).
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/openapi.json",
        openapi_tags=OPENAPI_TAGS,
        # The contract has no trailing slashes: `/books/` is a 404, as at the
        # other prefixes, not a redirect to `/books`.
        redirect_slashes=False,
        # FastAPI's built-in OpenTelemetry bridge asks the OpenTelemetry API
        # for configured providers on every request. The project counts and
        # times requests itself, once for all three frameworks
        # (common/asgi/metrics.py, /metrics), so the bridge stays off.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_error_handlers(app)
    # Routes are matched in the order they were added, one by one: books,
    # the public cached reads and the busiest routes by far, go first. The
    # areas' paths never overlap, so the order changes nothing else (the
    # OpenAPI document lists the areas in this order too).
    for module in (books, auth, users, demos, health):
        app.include_router(module.router)
    install_docs(app)
    return app
