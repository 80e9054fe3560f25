"""The FastAPI implementation of the contract (docs/API.md), at /api/fastapi.

    from mounted_apis.fastapi_app.main import create_app
    app = create_app()      # config.asgi mounts it with root_path="/api/fastapi"

The app uses the Django project whole: models, rules, services, selectors,
the token service, the limiter. What is FastAPI's own:

    routes/        one APIRouter per area (books, auth, users, demos, health)
    deps.py        CurrentUser, AdminUser, EditableBook, ..., rate_limit: the dependencies
    schemas.py     Pydantic models by direction (BookCreate, BookQuery, BookPublic, ...)
    responses.py   the error answers each route documents (`responses=`)
    errors.py      exception handlers: every error in the shared envelope
    json_request.py  ContractRoute: the contract's JSON rule, in a custom Request
    pagination.py  page numbers or a keyset cursor over a queryset, and the links
    fast_read.py   CachedBooksRead: the speed path of the two public reads
    db.py          run_db: the ORM in a worker thread, its connection given back
    docs.py        the document's default 422 removed; Swagger UI and ReDoc offline
    route_templates.py  the matched route's template, told to the edge (metrics, log)
"""

from __future__ import annotations

from fastapi import FastAPI

from .docs import DESCRIPTION, OPENAPI_TAGS, install_docs
from .errors import install_error_handlers
from .routes import auth, books, demos, health, users


def create_app() -> FastAPI:
    """Build the app: routers, error handlers, docs."""
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
        # FastAPI's OpenTelemetry bridge asks for configured providers on every
        # request; the project counts and times requests itself, once for all
        # three frameworks (common/asgi/metrics.py, /metrics).
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # Operation ids are the endpoint functions' names (`list_books`), as
        # the other two documents spell them.
        generate_unique_id_function=lambda route: route.name,
    )
    install_error_handlers(app)
    # Routes are matched in the order they were added: books, the busiest
    # by far, first. The areas' paths never overlap.
    app.include_router(books.reads)
    for module in (books, auth, users, demos, health):
        app.include_router(module.router)
    install_docs(app)
    return app
