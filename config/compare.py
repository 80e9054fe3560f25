"""What /compare shows: each concept, implemented three times, side by side.

Each concept (one row of the page) has a short paragraph on what differs
between the three and why, and per framework one sentence on what the
framework does for you there and the objects that implement it, named by
reference (`config.compare_source` reads them from the source files, never
copies). Each column shows the idiomatic code first; where the project tuned
a path for speed (the cached reads: one Redis round trip), that code comes
after, under its own label. The domain rules all three call (selectors,
services, the limiter, the token service) are written once; the `shared`
references show them under the columns.

Every snippet links to the section of its framework's guide that explains
it (config.guides serves the guides as HTML): the first heading naming its
file, else the first section quoting its name, else the guide's top.

The page is built once per process (`compare_html()`, cached): the source
does not change under a running server (after an edit, restart it;
`manage.py runserver` does so by itself). tests/unit/composition/test_compare.py resolves every
reference, so a rename breaks a test, not the page.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.template.loader import render_to_string

from config.compare_source import Snippet, highlight_css, snippet
from config.guides import FRAMEWORK_GUIDES, Guide, guide_url, guides

FASTAPI = "mounted_apis.fastapi_app"
FLASK = "mounted_apis.flask_app"


@dataclass(frozen=True)
class Implementation:
    framework: str  # "drf", "fastapi" or "flask"
    does_for_you: str  # one sentence: what the framework gives, what the project adds
    references: tuple[str, ...]  # the idiom: shown first
    tuned: tuple[str, ...] = ()  # the same job tuned for speed: shown after, labelled


@dataclass(frozen=True)
class Concept:
    slug: str
    title: str
    question: str  # what the three columns answer
    differs: str  # a short paragraph: what differs between the three, and why
    drf: Implementation
    fastapi: Implementation
    flask: Implementation
    shared: tuple[str, ...] = ()

    @property
    def implementations(self) -> tuple[Implementation, Implementation, Implementation]:
        return (self.drf, self.fastapi, self.flask)


FRAMEWORK_NAMES = {"drf": "Django REST framework", "fastapi": "FastAPI", "flask": "Flask"}


def _drf(does_for_you: str, *references: str, tuned: tuple[str, ...] = ()) -> Implementation:
    return Implementation("drf", does_for_you, references, tuned)


def _fastapi(does_for_you: str, *references: str, tuned: tuple[str, ...] = ()) -> Implementation:
    return Implementation("fastapi", does_for_you, references, tuned)


def _flask(does_for_you: str, *references: str, tuned: tuple[str, ...] = ()) -> Implementation:
    return Implementation("flask", does_for_you, references, tuned)


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        slug="wiring",
        title="App wiring and configuration",
        question="Where is each application built, configured and mounted?",
        differs=(
            "Django is configured by one settings module, read once at start (config/settings.py, "
            "every value checked by config/env.py); DRF reads its own REST_FRAMEWORK dict from it "
            "and is reached through Django's URLconf. FastAPI and Flask are built by application "
            "factories, create_app(), that register routers or blueprints, error handlers and "
            "hooks in code; the domain code they call reads Django's settings. One ASGI "
            "composition root builds all three and mounts them by prefix (shared, below)."
        ),
        drf=_drf(
            "Django reads settings.py once; DRF's defaults (authentication, renderers, parsers, "
            "the exception handler, throttles) are class paths in REST_FRAMEWORK, and its "
            "URLconf is include()d under /api/drf.",
            "config.settings:REST_FRAMEWORK",
            "config.urls:urlpatterns",
        ),
        fastapi=_fastapi(
            "The application object is built by a factory: routers, exception handlers and the "
            "docs are registered on it in code; configuration is Python, not a settings file.",
            f"{FASTAPI}.main:create_app",
        ),
        flask=_flask(
            "Flask's documented application factory: a Flask subclass sets the JSON provider "
            "and URL rule class, app.config holds Flask's own options, blueprints and hooks "
            "are registered in order.",
            f"{FLASK}:create_app",
            f"{FLASK}:ContractFlask",
        ),
        shared=("config.asgi:build_application", "config.asgi:PrefixDispatcher"),
    ),
    Concept(
        slug="routing",
        title="Routing",
        question="How does GET /books/{id} reach the code that answers it?",
        differs=(
            "DRF routes resources, not functions: a router reads a ViewSet's conventional "
            "actions (list, retrieve, create, update, destroy) and writes the URL patterns. "
            "FastAPI and Flask route one function per endpoint with a decorator; FastAPI "
            "converts the path parameter by the path's convertor and the signature's type, "
            "Flask by a werkzeug converter in the rule. All three are then joined under one "
            "prefix: include() in Django, include_router in FastAPI, register_blueprint in Flask."
        ),
        drf=_drf(
            "A router turns a ViewSet's actions into URL patterns; Django's resolver matches "
            "them under the include()d prefix and calls the action with the captured id.",
            "books.urls",
            "books.views:BookViewSet.retrieve",
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
        slug="validation",
        title="Validation",
        question="POST /books: which fields are required, of which JSON type?",
        differs=(
            "The frameworks check the shape of the input (presence, JSON type) three ways: a "
            "DRF Serializer, a Pydantic model FastAPI applies before the endpoint runs, a "
            "small schema the Flask view applies itself. The rules on values (lengths, year "
            "range, ISBN check digit) are written once, in the domain service, so every prefix "
            "answers the same 422 with the same messages, in DRF's words."
        ),
        drf=_drf(
            "Parsers decode the body lazily by content type; a Serializer checks presence and "
            "types and collects every field's error into one ValidationError.",
            "books.serializers:BookInputSerializer",
            "books.views:BookViewSet._input",
            "books.views:BookViewSet.create",
        ),
        fastapi=_fastapi(
            "A Pydantic model in the signature is the body, another one (with Query()) the "
            "query string: FastAPI validates both, with Pydantic's messages, and documents them; "
            "validators call the domain's rules.",
            f"{FASTAPI}.schemas:BookCreate",
            f"{FASTAPI}.schemas:BookQuery",
            f"{FASTAPI}.routes.books:create_book",
        ),
        flask=_flask(
            "Flask hands over the request and nothing more: presence, JSON types and the "
            "messages come from the app's small parsing module; the values from the domain.",
            f"{FLASK}.blueprints.books:BOOK_FIELDS",
            f"{FLASK}.parsing:fields",
            f"{FLASK}.blueprints.books:create_book",
        ),
        shared=("books.services:book_create",),
    ),
    Concept(
        slug="serialization",
        title="Response serialization",
        question="A Book row becomes {\"data\": {...}}: which object decides the fields and bytes?",
        differs=(
            "The same nine fields, three idioms. DRF declares an output Serializer whose .data "
            "the JSON renderer encodes; FastAPI declares a Pydantic model, validates the ORM "
            "object into it (from_attributes) and documents it as the response model; Flask "
            "writes a plain function from the model to a dict and a JSON provider that encodes "
            "it. The timestamps are formatted by one shared function, so the bytes match."
        ),
        drf=_drf(
            "A Serializer reads the attributes its fields name (source= for another one); "
            "the view wraps its .data in the envelope and the JSONRenderer encodes it.",
            "books.serializers:BookSerializer",
            "books.views:BookViewSet.partial_update",
            "drf_support.views:envelope",
        ),
        fastapi=_fastapi(
            "A Pydantic model validated from the ORM object (from_attributes) is both the "
            "response's shape and its OpenAPI schema; an Annotated serializer formats dates.",
            f"{FASTAPI}.schemas:OutputModel",
            f"{FASTAPI}.schemas:BookPublic",
            f"{FASTAPI}.routes.books:update_book",
        ),
        flask=_flask(
            "A view may return a dict, which Flask encodes with the app's JSON provider; "
            "the dict itself is written by a plain function.",
            f"{FLASK}.rendering:book_public",
            f"{FLASK}.rendering:ContractJSONProvider",
        ),
        shared=("common.rendering:drf_datetime",),
    ),
    Concept(
        slug="database",
        title="Database access",
        question="Sync or async, which thread, which connection: how does each reach Django's ORM?",
        differs=(
            "The ORM is synchronous and its connections belong to a thread. DRF views are sync "
            "Django views on WSGI worker threads: they call the ORM directly, and Django's "
            "request_finished signal returns the connection. FastAPI's endpoints are async: each "
            "ORM call is sent to a worker thread with run_db (asgiref's sync_to_async, bounded "
            "by the pool's size), which returns the connection after the call. Flask views are "
            "sync on their own worker threads and call the ORM directly; Flask's "
            "teardown_request hook returns the connection, since Django's signals never fire there."
        ),
        drf=_drf(
            "A sync view on a WSGI worker thread calls the domain (and so the ORM) directly; "
            "Django's request signals take the thread's connection back after the response.",
            "books.views:BookViewSet.partial_update",
            "books.views:BookViewSet.book_of_the_url",
        ),
        fastapi=_fastapi(
            "An async endpoint must not touch the ORM on the event loop: it awaits run_db, "
            "which runs the sync call in a bounded thread pool and releases the connection.",
            f"{FASTAPI}.routes.books:update_book",
            f"{FASTAPI}.deps:get_book",
            f"{FASTAPI}.db:run_db",
        ),
        flask=_flask(
            "A sync view calls the domain directly on its worker thread; the teardown hook "
            "gives the connection back, error or not.",
            f"{FLASK}.blueprints.books:update_book",
            f"{FLASK}.db:release_request_connections",
            f"{FLASK}.db:init_app",
        ),
        shared=("books.selectors:book_get", "common.db:release_connections"),
    ),
    Concept(
        slug="auth",
        title="Authentication",
        question="Who is calling? The Bearer token becomes a user, once per request.",
        differs=(
            "DRF has a slot for this (authentication classes, run on the first read of "
            "request.user), so the project plugs a subclass of simplejwt's JWTAuthentication "
            "into it. FastAPI has dependencies: the current user is a type an endpoint asks "
            "for, resolved once per request. Flask has neither: a before-request hook puts "
            "the user on `g` and a decorator refuses a request without one. The token check "
            "itself is the same function at every prefix."
        ),
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
            f"{FLASK}.auth:load_logged_in_user",
            f"{FLASK}.auth:login_required",
            f"{FLASK}.blueprints.auth:me",
        ),
        shared=("accounts.tokens:bearer_from_header",
                "accounts.tokens:TokenService.authenticate_access"),
    ),
    Concept(
        slug="permissions",
        title="Permissions",
        question="Only an admin may list users: 401 without a token, 403 for a plain user.",
        differs=(
            "DRF has permission classes, checked after authentication and before throttles. "
            "FastAPI writes a permission as a dependency on the current user, and the order "
            "of a route's `dependencies=` list is the order of the checks. Flask stacks "
            "decorators, and their order on the page is their order at run time. Who may edit "
            "which book is not a framework question: the domain services decide, once."
        ),
        drf=_drf(
            "Permission classes run in APIView.initial, after authentication and before "
            "throttles; DRF answers 401 or 403 depending on whether a user is known.",
            "accounts.permissions:IsAdminRole",
            "accounts.views:UserListApi",
        ),
        fastapi=_fastapi(
            "A permission is a dependency on the current-user dependency; `dependencies=` on "
            "the route runs it, in list order, before the endpoint (and before the limiter).",
            f"{FASTAPI}.deps:require_admin",
            f"{FASTAPI}.deps:get_editable_book",
            f"{FASTAPI}.routes.users:ADMIN",
            f"{FASTAPI}.routes.users:list_users",
        ),
        flask=_flask(
            "A decorator factory built with functools.wraps; the order of the decorators "
            "above a view is the order of the checks.",
            f"{FLASK}.auth:require_role",
            f"{FLASK}.blueprints.users:list_users",
        ),
        shared=("books.services:can_update",),
    ),
    Concept(
        slug="rate-limiting",
        title="Rate limiting",
        question="Every request spends one unit of the caller's budget, the same one everywhere.",
        differs=(
            "One limiter (a Redis counter per policy and caller) is written once; what "
            "differs is how it is attached. DRF asks throttle classes, FastAPI runs a callable "
            "class instance as a dependency, Flask wraps the view in a decorator. The "
            "RateLimit headers must land on whatever response follows (a 200, a 404, a 422), "
            "which the check itself never sees: the limiter returns its decision (a refusal "
            "carries it), each adapter records it in the request's ASGI scope, and the edge "
            "in front of all three (common/asgi/edge.py) writes the headers, once."
        ),
        drf=_drf(
            "Throttle classes run in APIView.initial after authentication and permissions; "
            "DRF asks allow_request() of each, a bool, and raises its own Throttled (429); "
            "the throttle records the decision for the edge.",
            "throttling.throttles:RateLimitThrottle.allow_request",
            "throttling.throttles:DefaultRateThrottle",
        ),
        fastapi=_fastapi(
            "A callable class instance is a dependency with configuration; router- or "
            "route-level `dependencies=` apply it without touching the signature.",
            f"{FASTAPI}.deps:RateLimit",
            f"{FASTAPI}.deps:rate_limit",
            f"{FASTAPI}.routes.books:AUTHENTICATED",
        ),
        flask=_flask(
            "A decorator before the view writes the decision as headers with "
            "after_this_request; the error handler writes a refusal's.",
            f"{FLASK}.ratelimit:rate_limited",
            f"{FLASK}.errors:handle_application_error",
        ),
        shared=("throttling.limiter:enforce", "common.asgi.notes:record_rate_limit"),
    ),
    Concept(
        slug="caching",
        title="Caching",
        question="GET /books: a stored page, and every stored page forgotten at any write.",
        differs=(
            "Invalidation is Django's: a signal on every save or delete of a Book moves a "
            "version number on, so every stored page of every prefix becomes a MISS at once "
            "(shared, below). Reading is each framework's own: DRF's view set answers from "
            "its list and retrieve actions, FastAPI gives the endpoint a dependency that "
            "holds the lookup, Flask wraps the view in a decorator that runs it only on a "
            "MISS. The endpoint is shown first; the lookup after it is tuned for speed "
            "(rate limit, token and page in one Redis round trip)."
        ),
        drf=_drf(
            "The actions stay DRF's (list, retrieve), decorated with @cached_read: a view set "
            "mixin answers a hit with the stored bytes and stores what the renderer wrote on "
            "a miss; it counts the request in the same round trip that fetches the page.",
            "books.views:BookViewSet.retrieve",
            tuned=("books.drf_fast_read:OneRoundTripCachedReads.answer_from_cache",
                   "books.drf_fast_read:cached_read"),
        ),
        fastapi=_fastapi(
            "The endpoint asks for the cached read like any other dependency and runs on a "
            "MISS only; its route class answers a HIT from the stored bytes before any "
            "dependency is solved.",
            f"{FASTAPI}.routes.books:get_book",
            f"{FASTAPI}.fast_read:CachedBooksRead",
            tuned=(f"{FASTAPI}.fast_read:CachedReadRoute", f"{FASTAPI}.fast_read:cached_read",
                   f"{FASTAPI}.fast_read:CachedRead"),
        ),
        flask=_flask(
            "A decorator wraps the view: it answers a hit itself and calls the view only on a "
            "miss, storing the body the view rendered.",
            f"{FLASK}.blueprints.books:get_book",
            tuned=(f"{FLASK}.fast_read:cached_read",),
        ),
        shared=("books.cache:_bump_on_write", "books.cache:VersionedCache.bump_on_commit"),
    ),
    Concept(
        slug="errors",
        title="Errors",
        question='Every failure answers {"error": {"code", "message", "details"?}}.',
        differs=(
            "The domain raises one family of exceptions (common.errors), each knowing its "
            "status and body. Each framework has one place that turns an exception into a "
            "response: DRF's single EXCEPTION_HANDLER setting, FastAPI's and Flask's handlers "
            "registered per exception class. FastAPI's own validation errors and Flask's "
            "werkzeug errors are translated too, so the bytes match across prefixes."
        ),
        drf=_drf(
            "DRF catches what a view raises and hands it to the one EXCEPTION_HANDLER; "
            "whatever that returns None for becomes a 500.",
            "drf_support.exceptions:exception_handler",
            "drf_support.exceptions:to_application_error",
        ),
        fastapi=_fastapi(
            "exception_handler maps exception classes to responses, including FastAPI's own "
            "RequestValidationError and Starlette's 404/405.",
            f"{FASTAPI}.errors:install_error_handlers",
            f"{FASTAPI}.errors:application_error_handler",
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
        differs=(
            "Each framework writes its own document from its own code: FastAPI from the "
            "signatures, the models and each route decorator's words and answers; "
            "drf-spectacular from DRF's views and serializers plus extend_schema; Flask has no "
            "generator of its own, so spectree writes its document from the URL map, each "
            "view's docstring and the Pydantic models its @documented names. The limits come "
            "from one module of constants (shared, below); a test compares the three documents "
            "and checks each against the routes and the security its framework enforces."
        ),
        drf=_drf(
            "drf-spectacular writes the document from the views and serializers; each view "
            "states its words and answers with extend_schema, and the security comes from "
            "its authentication and permission classes. Its views serve Swagger UI and ReDoc.",
            "books.views:BookViewSet",
            "drf_support.openapi:ContractAutoSchema",
            "config.settings:SPECTACULAR_SETTINGS",
            "config.drf_urls:urlpatterns",
        ),
        fastapi=_fastapi(
            "FastAPI writes the document from the signatures and models, with summary=, the "
            "docstring and responses= on each route. The two UIs are served from local assets "
            "instead of a CDN.",
            f"{FASTAPI}.routes.books:update_book",
            f"{FASTAPI}.responses:errors",
            f"{FASTAPI}.docs:install_docs",
        ),
        flask=_flask(
            "Flask has no schema of its own: spectree writes the document (openapi.py) "
            "from the URL map, each view's docstring and the Pydantic models its "
            "@documented names; the UIs are two small pages.",
            f"{FLASK}.blueprints.books:update_book",
            f"{FLASK}.openapi:documented",
            f"{FLASK}.docs:openapi_json",
            f"{FLASK}.docs:init_app",
        ),
        shared=("common.constraints:TITLE_MAX", "common.constraints:sort_pattern"),
    ),
    Concept(
        slug="tests",
        title="Tests",
        question="How does a test call one framework, and how are all three held to one contract?",
        differs=(
            "Each framework has its own test client: DRF's APIClient (with force_authenticate "
            "to skip the token), Starlette's TestClient for FastAPI, Flask's test_client() on "
            "an app from the factory. The contract itself is tested once, over HTTP, against "
            "the composed application, with every test run at each of the three prefixes "
            "(shared, below): that is what keeps the three in step."
        ),
        drf=_drf(
            "rest_framework.test.APIClient calls the Django stack in-process; "
            "force_authenticate sets the user without a token.",
            "tests.unit.books.test_api_drf:as_user",
            "tests.unit.books.test_api_drf:TestUpdate.test_other_user_403",
        ),
        fastapi=_fastapi(
            "Starlette's TestClient drives an ASGI app in-process through httpx; here the "
            "composed app, so the request takes the real path.",
            "tests.unit.fastapi_app.conftest:client",
            "tests.unit.fastapi_app.test_app:test_permission_comes_before_the_budget_like_drf",
        ),
        flask=_flask(
            "The application factory gives a fresh app per test; its test_client() calls it "
            "without a server (the composed app is used where the route matters).",
            "tests.unit.flask_app.conftest:flask_app",
            "tests.unit.flask_app.conftest:flask_client",
            "tests.unit.flask_app.test_auth:test_admin_only_is_403_for_a_user_before_the_rate_limit",
        ),
        shared=("tests.contract.conftest:PREFIXES", "tests.contract.conftest:api"),
    ),
)


def all_references() -> list[str]:
    """Every reference the page shows, in page order."""
    return [
        reference
        for concept in CONCEPTS
        for implementation in concept.implementations
        for reference in (*implementation.references, *implementation.tuned)
    ] + [reference for concept in CONCEPTS for reference in concept.shared]


@dataclass(frozen=True)
class GuideLink:
    url: str  # /guides/<slug>#<anchor>, or the guide's top
    title: str  # the section's heading


@dataclass(frozen=True)
class Shown:
    """One snippet on the page, with the guide section that explains it."""

    code: Snippet
    guide: GuideLink | None


def _file_names(path: str, guide: Guide) -> list[str]:
    """How a guide may name the file: from the root, or from the guide's own folder."""
    names = [path]
    folder = PurePosixPath(guide.path).parent
    if folder.parts and PurePosixPath(path).is_relative_to(folder):
        names.append(PurePosixPath(path).relative_to(folder).as_posix())
    return names


def _section(framework: str, code: Snippet) -> GuideLink | None:
    """The section of the framework's guide that explains `code`, if one names it."""
    guide = guides()[framework]
    files = _file_names(code.path, guide)
    name = code.reference.partition(":")[2].rpartition(".")[2]
    # The name as a reader quotes it: in backticks, alone or in a longer span.
    quoted = re.compile(rf"`[^`]*\b{re.escape(name)}\b[^`]*`") if name else None
    sections = [section for section in guide.sections if section.level > 1]
    for found in (
        next((s for s in sections if any(f in s.title for f in files)), None),
        next((s for s in sections if quoted and quoted.search(s.title)), None),
        next((s for s in sections if quoted and quoted.search(s.text)), None),
        next((s for s in sections if any(f in s.text for f in files)), None),
    ):
        if found is not None:
            return GuideLink(guide_url(framework, found.anchor), found.title)
    return None


def guide_link(framework: str, code: Snippet) -> GuideLink:
    """Where the framework's guide explains `code`: its section, else the guide's top."""
    guide = guides()[framework]
    return _section(framework, code) or GuideLink(guide.url, guide.title)


def shared_link(code: Snippet) -> GuideLink | None:
    """Domain code: the first framework guide with a section on it, if any."""
    return next(
        (link for framework in FRAMEWORK_GUIDES if (link := _section(framework, code))), None
    )


@dataclass(frozen=True)
class Column:
    """One framework's column of one concept, with its source read now."""

    framework: str
    name: str
    guide: GuideLink | None  # the section of the column's first snippet
    does_for_you: str
    snippets: list[Shown]
    tuned: list[Shown]


@dataclass(frozen=True)
class ConceptPage:
    concept: Concept
    columns: list[Column]
    shared: list[Shown]


def _column(implementation: Implementation) -> Column:
    framework = implementation.framework
    shown = [
        Shown(code, guide_link(framework, code))
        for code in map(snippet, implementation.references)
    ]
    return Column(
        framework=framework,
        name=FRAMEWORK_NAMES[framework],
        guide=shown[0].guide,
        does_for_you=implementation.does_for_you,
        snippets=shown,
        tuned=[Shown(code, guide_link(framework, code))
               for code in map(snippet, implementation.tuned)],
    )


def compare_page() -> list[ConceptPage]:
    """Every concept with its source as it is on disk now.

    :raise ImportError, AttributeError: a reference no longer resolves.
    """
    return [
        ConceptPage(
            concept=concept,
            columns=[_column(implementation) for implementation in concept.implementations],
            shared=[
                Shown(code, shared_link(code)) for code in map(snippet, concept.shared)
            ],
        )
        for concept in CONCEPTS
    ]


@functools.cache
def compare_html() -> str:
    """The whole page, read, highlighted and rendered once per process."""
    return render_to_string(
        "compare.html",
        {
            "concepts": compare_page(),
            "highlight_css": highlight_css(),
            "guides": {framework: guides()[framework] for framework in FRAMEWORK_GUIDES},
            "frameworks": FRAMEWORK_NAMES,
        },
    )
