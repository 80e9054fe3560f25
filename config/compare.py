"""What /compare shows: each concept, implemented three times, side by side.

Each concept names, per framework, the objects that implement it (as
references `config.compare_source` reads at run time, never copies) and one
sentence on what that framework does for you there. The domain rules each
implementation calls (selectors, services, the limiter, the token service)
are written once; the `shared` references show them where it helps.

tests/unit/composition/test_compare.py resolves every reference, so a rename
breaks a test, not the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.compare_source import Snippet, snippet

FASTAPI = "mounted_apis.fastapi_app"
FLASK = "mounted_apis.flask_app"


@dataclass(frozen=True)
class Implementation:
    framework: str  # "drf", "fastapi" or "flask"
    does_for_you: str  # one sentence: what the framework gives, what the project adds
    references: tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    slug: str
    title: str
    question: str  # what the three columns answer
    drf: Implementation
    fastapi: Implementation
    flask: Implementation
    shared: tuple[str, ...] = ()

    @property
    def implementations(self) -> tuple[Implementation, Implementation, Implementation]:
        return (self.drf, self.fastapi, self.flask)


FRAMEWORK_NAMES = {"drf": "Django REST framework", "fastapi": "FastAPI", "flask": "Flask"}


def _drf(does_for_you: str, *references: str) -> Implementation:
    return Implementation("drf", does_for_you, references)


def _fastapi(does_for_you: str, *references: str) -> Implementation:
    return Implementation("fastapi", does_for_you, references)


def _flask(does_for_you: str, *references: str) -> Implementation:
    return Implementation("flask", does_for_you, references)


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        slug="routing",
        title="Routing",
        question="How does GET /books/{id} reach the code that answers it?",
        drf=_drf(
            "A router turns a ViewSet's actions (list, retrieve, create, ...) into URL "
            "patterns, and Django's resolver matches them under the include()d prefix.",
            "books.urls",
            "config.urls:urlpatterns",
        ),
        fastapi=_fastapi(
            "Each path-operation decorator registers a route on an APIRouter, with its path "
            "convertor ({book_id:int}) and its OpenAPI entry at once; include_router joins them.",
            f"{FASTAPI}.routes.books:router",
            f"{FASTAPI}.routes.books:get_book",
            f"{FASTAPI}.main:create_app",
        ),
        flask=_flask(
            "A blueprint collects URL rules, werkzeug matches them (404/405 included) and "
            "converts the id; the application factory registers each blueprint.",
            f"{FLASK}.blueprints.books:bp",
            f"{FLASK}.blueprints.books:get_book",
            f"{FLASK}:create_app",
        ),
    ),
    Concept(
        slug="current-user",
        title="The current user",
        question="Who is calling? The Bearer token becomes a user, once per request.",
        drf=_drf(
            "DRF runs the authentication classes on the first read of request.user and sets "
            "request.user and request.auth; simplejwt's JWTAuthentication gives the steps.",
            "accounts.authentication:BearerTokenAuthentication",
            "accounts.views:MeApi",
        ),
        fastapi=_fastapi(
            "Dependencies in a signature are resolved (and cached) per request; an Annotated "
            "alias makes \"the current user\" a type the endpoint simply asks for.",
            f"{FASTAPI}.deps:get_access",
            f"{FASTAPI}.deps:get_current_user",
            f"{FASTAPI}.deps:CurrentUser",
            f"{FASTAPI}.routes.auth:me",
        ),
        flask=_flask(
            "Nothing built in: a before_app_request hook puts the user on `g` (one request's "
            "globals) and a small decorator refuses a request without one.",
            f"{FLASK}.auth:load_user",
            f"{FLASK}.auth:require_login",
            f"{FLASK}.blueprints.auth:me",
        ),
        shared=("accounts.tokens:bearer_from_header",),
    ),
    Concept(
        slug="roles",
        title="Role checks",
        question="Only an admin may list users: 401 without a token, 403 for a plain user.",
        drf=_drf(
            "Permission classes run in APIView.initial, after authentication and before "
            "throttles; DRF answers 401 or 403 depending on whether a user is known.",
            "accounts.permissions:IsAdminRole",
            "accounts.views:UserListApi",
        ),
        fastapi=_fastapi(
            "A permission is a dependency on the current-user dependency; `dependencies=` on "
            "the route runs it, in list order, before the endpoint.",
            f"{FASTAPI}.deps:require_admin",
            f"{FASTAPI}.deps:ADMIN_THEN_LIMITED",
            f"{FASTAPI}.routes.users:list_users",
        ),
        flask=_flask(
            "A decorator factory built with functools.wraps; the order of the decorators "
            "above a view is the order of the checks.",
            f"{FLASK}.auth:require_role",
            f"{FLASK}.blueprints.users:list_users",
        ),
    ),
    Concept(
        slug="validation",
        title="Request validation",
        question="POST /books: which fields are required, of which JSON type?",
        drf=_drf(
            "Parsers decode the body lazily by content type; a Serializer checks presence and "
            "types and collects every field's error into one ValidationError.",
            "books.serializers:BookInputSerializer",
            "books.views:BookViewSet._input",
            "books.views:BookViewSet.create",
        ),
        fastapi=_fastapi(
            "A Pydantic model in the signature is the body: FastAPI reads, decodes and "
            "validates it before the endpoint runs, and documents it in OpenAPI.",
            f"{FASTAPI}.schemas:BookCreate",
            f"{FASTAPI}.routes.books:create_book",
        ),
        flask=_flask(
            "Flask hands over the decoded JSON and nothing more: presence, types and DRF's "
            "messages come from the project's small parsing module.",
            f"{FLASK}.blueprints.books:BOOK_INPUT",
            f"{FLASK}.parsing:validate",
            f"{FLASK}.blueprints.books:create_book",
        ),
        shared=("books.services:book_create",),
    ),
    Concept(
        slug="list-filters",
        title="List filters and pagination",
        question="GET /users?search=&role=&page=2: one selector, three ways to call it.",
        drf=_drf(
            "request.query_params is Django's QueryDict, ready for the shared django-filter "
            "FilterSet; the browsable API draws a FilterSet as its filter form.",
            "accounts.views:UserListApi.get",
            "books.filters:BookFilterSet",
        ),
        fastapi=_fastapi(
            "Query(...) parameters are parsed and documented from the signature; the "
            "project passes the raw query on, so every prefix gives the same messages.",
            f"{FASTAPI}.routes.users:list_users",
            f"{FASTAPI}.pagination:query_params",
            f"{FASTAPI}.pagination:page_meta_and_links",
        ),
        flask=_flask(
            "request.args is werkzeug's MultiDict; turned into a QueryDict it goes to the "
            "same selector, and its ValidationFailed becomes the 422 envelope.",
            f"{FLASK}.blueprints.users:list_users",
            f"{FLASK}.parsing:query_params",
        ),
        shared=("common.pagination:paginate", "common.pagination:page_links"),
    ),
    Concept(
        slug="caching",
        title="Caching (the books list)",
        question="GET /books: token, rate limit and stored page in one Redis round trip.",
        drf=_drf(
            "DRF's documented hooks (perform_authentication, get_throttles) let the cached "
            "reads skip its own steps; a hit is a plain HttpResponse of the stored bytes.",
            "books.views:BookViewSet.list",
            "books.views:BookViewSet._from_cache",
            "books.views:BookViewSet._cached_read",
        ),
        fastapi=_fastapi(
            "One async dependency does the checks and the lookup on the event loop; a "
            "Response built from stored bytes skips FastAPI's encoder.",
            f"{FASTAPI}.routes.books:list_books",
            f"{FASTAPI}.deps:CachedRead",
            f"{FASTAPI}.deps:cached_read",
        ),
        flask=_flask(
            "A decorator wraps the view: it answers a hit itself and calls the view only on a "
            "miss, storing the body the view rendered.",
            f"{FLASK}.blueprints.books:list_books",
            f"{FLASK}.ratelimit:cached_read",
        ),
        shared=("books.fast_read:ReadPlan.read", "books.fast_read:ReadPlan.aread"),
    ),
    Concept(
        slug="rate-limiting",
        title="Rate limiting",
        question="Every request spends one unit of the caller's budget, the same one everywhere.",
        drf=_drf(
            "Throttle classes run in APIView.initial after permissions; DRF asks "
            "allow_request() of each (the project's refusals raise its own 429).",
            "throttling.throttles:RateLimitThrottle",
            "throttling.throttles:DefaultRateThrottle",
        ),
        fastapi=_fastapi(
            "A callable class instance is a dependency with configuration; router- or "
            "route-level `dependencies=` apply it without touching the signature.",
            f"{FASTAPI}.deps:RateLimit",
            f"{FASTAPI}.deps:default_rate_limit",
            f"{FASTAPI}.routes.books:LIMITED",
        ),
        flask=_flask(
            "A decorator before the view; the RateLimit headers are written by the edge, "
            "from the decision the limiter notes, as for the other two.",
            f"{FLASK}.ratelimit:rate_limited",
        ),
        shared=("throttling.limiter:enforce", "common.asgi.notes:note_rate_limit"),
    ),
    Concept(
        slug="errors",
        title="Errors",
        question='Every failure answers {"error": {"code", "message", "details"?}}.',
        drf=_drf(
            "DRF catches what a view raises and hands it to the one EXCEPTION_HANDLER; "
            "whatever that returns None for becomes a 500.",
            "common.drf.exceptions:exception_handler",
            "common.drf.exceptions:to_application_error",
        ),
        fastapi=_fastapi(
            "exception_handler maps exception classes to responses, including FastAPI's own "
            "RequestValidationError and Starlette's 404/405.",
            f"{FASTAPI}.errors:install_error_handlers",
            f"{FASTAPI}.errors:error_response",
        ),
        flask=_flask(
            "register_error_handler maps exception classes, werkzeug's HTTP errors included, "
            "to responses; without it Flask answers HTML.",
            f"{FLASK}.errors:init_app",
            f"{FLASK}.errors:handle_application_error",
            f"{FLASK}.errors:handle_http_exception",
        ),
        shared=("common.errors:ApplicationError",),
    ),
    Concept(
        slug="docs",
        title="API docs",
        question="An OpenAPI document, Swagger UI and ReDoc at every prefix, with no CDN.",
        drf=_drf(
            "drf-spectacular writes the document from the views, serializers and "
            "extend_schema decorations; its views serve Swagger UI and ReDoc (sidecar assets).",
            "config.settings:SPECTACULAR_SETTINGS",
            "config.drf_urls:urlpatterns",
        ),
        fastapi=_fastapi(
            "FastAPI writes the document from the signatures and models by itself; the "
            "project only serves the two UIs from local assets instead of a CDN.",
            f"{FASTAPI}.docs:install_docs",
        ),
        flask=_flask(
            "Flask has no schema of its own: the document is assembled by the project "
            "(openapi.py) and the UIs are two small pages.",
            f"{FLASK}.docs:openapi_json",
            f"{FLASK}.docs:swagger_ui",
            f"{FLASK}.docs:init_app",
        ),
    ),
)


def all_references() -> list[str]:
    """Every reference the page shows, in page order."""
    return [
        reference
        for concept in CONCEPTS
        for implementation in concept.implementations
        for reference in implementation.references
    ] + [reference for concept in CONCEPTS for reference in concept.shared]


@dataclass(frozen=True)
class Column:
    """One framework's column of one concept, with its source read now."""

    framework: str
    name: str
    does_for_you: str
    snippets: list[Snippet]


@dataclass(frozen=True)
class ConceptPage:
    concept: Concept
    columns: list[Column]
    shared: list[Snippet]


def compare_page() -> list[ConceptPage]:
    """Every concept with its source as it is on disk now.

    :raise ImportError, AttributeError: a reference no longer resolves.
    """
    return [
        ConceptPage(
            concept=concept,
            columns=[
                Column(
                    framework=implementation.framework,
                    name=FRAMEWORK_NAMES[implementation.framework],
                    does_for_you=implementation.does_for_you,
                    snippets=[snippet(reference) for reference in implementation.references],
                )
                for implementation in concept.implementations
            ],
            shared=[snippet(reference) for reference in concept.shared],
        )
        for concept in CONCEPTS
    ]
