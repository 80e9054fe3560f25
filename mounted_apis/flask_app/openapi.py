"""The OpenAPI 3.1 document of /api/flask, written by spectree from the views themselves.

Flask has no schema generator of its own; spectree is the library that reads
a Flask app's URL map and the Pydantic models each view declares:

    @bp.patch("/<digits:book_id>")
    @documented("books", auth="required", json=BookUpdate,
                resp=answers((200, BookEnvelope, "The changed book."), 400, 401, ...))
    def update_book(book_id):
        \"\"\"Summary line.\\n\\nDescription for clients.\\f developer notes\"\"\"

- the summary and description are the view's docstring, up to a form feed
  (`\\f`): what follows it is for the code's readers, not for clients;
- the request and response models are `schemas.py`'s;
- `skip_validation=True`: spectree only documents; the view parses the
  request itself (parsing.py).

`document(app, server_url=...)` generates it once per process (docs.py
serves it). What spectree has no argument for is added by
`_what_spectree_cannot_say`: the token endpoint's form-encoded body
(spectree writes forms as multipart), a JSON body that may be left out,
response headers, and the path ids' type (the `digits` converter is ours);
it also drops what spectree writes twice (a query model as a component
besides its parameters, and each parameter's words inside its schema).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Literal

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema
from spectree import Response, SecurityScheme, SpecTree, Tag
from spectree.model_adapter.pydantic_adapter import PydanticModelAdapter
from spectree.models import SecureType, SecuritySchemeData

from . import schemas

Json = dict[str, Any]
View = Callable[..., Any]

TITLE = "Books API: Flask"
DESCRIPTION = (
    "The shared contract, served by Flask (blueprints, explicit parsing) at /api/flask.\n\n"
    "Authorize with a username and password (OAuth2 password flow): the access "
    "token is then sent as `Authorization: Bearer ...` on every call. Every error "
    'answers `{"error": {"code", "message", "details"?}}`, except the token '
    "endpoint's RFC 6749 errors."
)
SECURITY_SCHEME = "OAuth2PasswordBearer"

TAGS = {tag.name: tag for tag in (
    Tag(name="auth", description="Accounts and tokens: register, log in (OAuth2), refresh, "
        "log out, password reset."),
    Tag(name="users", description="User accounts: list (admin), read, change, soft-delete."),
    Tag(name="books", description="The book catalogue: public reads, authenticated writes."),
    Tag(name="demos", description="Watch rate limiting and brute-force lockout happen."),
    Tag(name="health", description="Whether the database and the cache answer."),
)}

# Who may call an operation, as its `security` says it:
# - "required": a Bearer token is needed (401 without one);
# - "optional": public; a token is read when sent (a bad one is a 401);
# - "none": public; the Authorization header is not read at all.
Auth = Literal["required", "optional", "none"]
SECURITY: dict[str, list[Json] | None] = {
    "required": [{SECURITY_SCHEME: []}],
    "optional": [{SECURITY_SCHEME: []}, {}],
    "none": None,
}

# What each error status means, for every endpoint that answers it.
ERRORS: dict[int, str] = {
    400: "The body is not a JSON object, not JSON, nested deeper than 64 levels, or holds "
    "a lone surrogate (`bad_request`).",
    401: "No or bad bearer token (`not_authenticated` / `invalid_token`), "
    "with `WWW-Authenticate: Bearer`.",
    403: "Authenticated but not allowed (`permission_denied`).",
    404: "No such resource (`not_found`).",
    409: "The value is already taken (`conflict`).",
    413: "The body is larger than MAX_BODY_BYTES (`payload_too_large`); it was not read.",
    422: "A field or query parameter fails validation (`validation_error`).",
    429: "Rate limit exceeded (`rate_limited`), see `Retry-After`.",
    503: "The database or the cache is down (`service_unavailable`).",
}
# The same statuses, in the words of one resource.
BOOK_ERRORS = {404: "No book with that id (`not_found`).",
               409: "Another book has that ISBN (`conflict`)."}
USER_ERRORS = {404: "No user with that id (`not_found`).",
               409: "Another user has that username or email (`conflict`)."}
PASSWORD_RESET_ERRORS = {
    400: "The body is not a JSON object (`bad_request`), or the reset token is "
    "invalid, expired or already used (`invalid_token`).",
    503: "The cache is down: reset requests cannot be counted (`service_unavailable`).",
}
# The token endpoint's errors, in RFC 6749's shape.
OAUTH_ERRORS = {
    400: "`invalid_request`, `invalid_grant` or `unsupported_grant_type` (RFC 6749 §5.2).",
    429: "`locked_out` (too many failed logins) or `rate_limited`, see `Retry-After`.",
    503: "`service_unavailable`: the lockout store (cache) is down.",
}

# Response headers, by operation id (spectree has no argument for them).
X_CACHE: Json = {"X-Cache": {"description": "HIT or MISS: whether the cache answered.",
                             "schema": {"type": "string", "enum": ["HIT", "MISS"]}}}
LOCATION: Json = {"Location": {"description": "The new resource's URL.",
                               "schema": {"type": "string"}}}
RESPONSE_HEADERS: dict[str, tuple[int, Json]] = {
    "list_books": (200, X_CACHE),
    "get_book": (200, X_CACHE),
    "create_book": (201, LOCATION),
}
# JSON bodies that may be left out (no field of them is required).
OPTIONAL_BODIES = {"logout", "update_book", "update_user"}
PATH_ID: Json = {"type": "integer", "minimum": 1}
# The models that describe query strings: spectree writes their fields as
# parameters, and the models themselves as components nothing refers to.
_QUERY_MODELS: set[str] = set()


class _WithoutNullDefaults(GenerateJsonSchema):
    """Pydantic's JSON Schema without `"default": null`.

    A field that may be left out says so by not being `required`; a null
    default on a `string` field would contradict its own type.
    """

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if "default" in json_schema and json_schema["default"] is None:
            del json_schema["default"]
        return json_schema


class _ModelAdapter(PydanticModelAdapter):
    """spectree's Pydantic adapter, with the schema generator above."""

    def json_schema(self, model: type[Any], *, ref_template: str, mode: Any = "validation"
                    ) -> dict[str, Any]:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_json_schema(ref_template=ref_template, mode=mode,
                                           schema_generator=_WithoutNullDefaults)
        return super().json_schema(model, ref_template=ref_template, mode=mode)


spec = SpecTree(
    "flask",
    mode="strict",  # only the views decorated with @documented
    annotations=False,
    title=TITLE,
    version="1.0.0",
    description=DESCRIPTION,
    openapi_version="3.1.0",
    security_schemes=[SecurityScheme(name=SECURITY_SCHEME, data=SecuritySchemeData(
        type=SecureType.OAUTH_TWO,
        description="Log in with a username and password; the access token is sent as Bearer.",
        # Relative: Swagger UI posts to {prefix}/auth/token under any prefix.
        flows={"password": {"tokenUrl": "auth/token", "scopes": {}}},
    ))],
    # Component names are the models' own (BookPublic, ErrorEnvelope, ...).
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda parent, child: child,
    validation_error_model=schemas.ErrorEnvelope,
    # spectree's own PydanticModelAdapter fails its ModelAdapter protocol
    # the same way (ValidationError is narrower than Exception).
    model_adapter=_ModelAdapter(),  # type: ignore[arg-type]
)


def answers(
    ok: tuple[int, type[BaseModel] | None, str],
    *errors: int,
    words: dict[int, str] | None = None,
    oauth: tuple[int, ...] = (),
    report: tuple[int, ...] = (),
) -> Response:
    """The documented responses: the success `(status, model, words)`, then each error.

    Errors answer the envelope (`schemas.ErrorEnvelope`) in `ERRORS`' words,
    or in `words`' for this resource; `oauth` statuses answer RFC 6749's
    shape, `report` statuses the success model (health's 503).
    """
    status, model, description = ok
    described = {**ERRORS, **(words or {})}
    models: dict[str, Any] = {f"HTTP_{status}": (model, description)}
    for error in errors:
        if error in report:
            models[f"HTTP_{error}"] = (model, described[error])
        elif error in oauth:
            models[f"HTTP_{error}"] = (schemas.OAuthErrorBody, OAUTH_ERRORS[error])
        else:
            models[f"HTTP_{error}"] = (schemas.ErrorEnvelope, described[error])
    return Response(**models)


def documented(
    tag: str,
    *,
    resp: Response,
    auth: Auth = "none",
    json: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
) -> Callable[[View], View]:
    """`spec.validate` for documentation only; the operation id is the view's name."""

    def decorator(view: View) -> View:
        if query is not None:
            _QUERY_MODELS.add(query.__name__)
        statuses = [int(code.removeprefix("HTTP_")) for code in resp.code_descriptions]
        return spec.validate(  # type: ignore[no-any-return]
            json=json, query=query, form=form, resp=resp,
            tags=[TAGS[tag]],
            security=SECURITY[auth],
            operation_id=view.__name__,
            # spectree adds a validation-error answer to every operation;
            # pointing it at a status already documented keeps ours.
            validation_error_status=422 if 422 in statuses else max(statuses),
            skip_validation=True,
        )(view)

    return decorator


def _what_spectree_cannot_say(document: Json) -> Json:
    """Add what spectree has no argument for (module docstring); in place."""
    for name in _QUERY_MODELS:
        document["components"]["schemas"].pop(name, None)
    for operations in document["paths"].values():
        for operation in operations.values():
            operation_id = operation["operationId"]
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["schema"] = dict(PATH_ID)
                else:
                    # The words are the parameter's own; its schema keeps the rules.
                    parameter["schema"].pop("title", None)
                    parameter["schema"].pop("description", None)
            body = operation.get("requestBody")
            if body is not None and "multipart/form-data" in body["content"]:
                # The token endpoint: RFC 6749's form, url-encoded; an empty
                # form is answered with invalid_request in RFC 6749's shape.
                body["content"] = {"application/x-www-form-urlencoded":
                                   body["content"].pop("multipart/form-data")}
                body["required"] = False
            elif body is not None and operation_id in OPTIONAL_BODIES:
                body["required"] = False
            if operation_id in RESPONSE_HEADERS:
                status, headers = RESPONSE_HEADERS[operation_id]
                operation["responses"][str(status)]["headers"] = headers
    return document


def document(app: Flask, *, server_url: str) -> Json:
    """The document of `app`'s views (those decorated with `@documented`) at `server_url`."""
    with app.app_context():
        generated: Json = copy.deepcopy(spec.spec)
    generated["servers"] = [{"url": server_url}]
    return _what_spectree_cannot_say(generated)
