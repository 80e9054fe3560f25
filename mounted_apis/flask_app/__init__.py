"""The Flask implementation of the contract (docs/API.md), at /api/flask.

    from mounted_apis.flask_app import create_app
    app = create_app()      # config.asgi mounts it behind a2wsgi at /api/flask

It reuses the Django project whole: models, rules, services, selectors, the
token service, the limiter, the error set. What is Flask's own (README.md
walks through it):

    blueprints/  one blueprint per area (auth, users, books, demos, health)
    auth.py      g.user loaded once per request; @public, @login_required, @require_role
    ratelimit.py @rate_limited(policy): the shared limiter as a decorator
    parsing.py   reading bodies and query strings, explicitly
    schemas.py   the request and response models the OpenAPI document names
    openapi.py   spectree: @documented(...) on each view, the document from them
    rendering.py the JSON provider (compact UTF-8) and the resources' dicts
    errors.py    error handlers: every failure in the contract's envelope
    routing.py   URL rules without HEAD, digits-only ids
    db.py        connections given back at the end of every request
    metrics.py   the matched rule, reported to /metrics
    docs.py      Swagger UI and ReDoc (offline) and /openapi.json
    fast_read.py speed: @cached_read, the one-round-trip cached read
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from . import db, docs, errors, metrics, rendering
from .blueprints import auth, books, demos, health, users
from .rendering import ContractJSONProvider
from .routing import ContractRule, DigitsConverter, reject_empty_segments


class ContractFlask(Flask):
    """Flask with the contract's JSON bytes and URL rules (see rendering, routing)."""

    json_provider_class = ContractJSONProvider
    url_rule_class = ContractRule


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the Flask application."""
    # No static folder: the only static files are Swagger UI's, served by docs.py.
    app = ContractFlask(__name__, static_folder=None)
    app.config.from_mapping(
        # OPTIONS is not part of the contract: 405, like any other missing method.
        PROVIDE_AUTOMATIC_OPTIONS=False,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)

    app.url_map.converters["digits"] = DigitsConverter
    # /books//1 is an unknown path (404), not a redirect to /books/1.
    app.url_map.merge_slashes = False
    app.before_request(reject_empty_segments)

    errors.init_app(app)
    db.init_app(app)
    metrics.init_app(app)
    rendering.init_app(app)
    for blueprint in (auth.bp, users.bp, books.bp, demos.bp, health.bp):
        app.register_blueprint(blueprint)
    docs.init_app(app)
    return app
