"""Bare Flask behind a2wsgi, mounted the way the project mounts its Flask app.

The same a2wsgi worker-thread count as the project (FLASK_WORKERS, default
10), so the baseline pays the same WSGI-to-ASGI bridge.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from common.asgi.types import ASGIApp
from common.asgi.wsgi import wsgi_to_asgi

from .payload import load_payload


def create_flask_app() -> Flask:
    payload = load_payload()
    app = Flask(__name__)

    @app.get("/books")
    def books() -> dict[str, Any]:
        # Flask turns a returned dict into a JSON response (app.json, compact).
        return payload

    return app


def create_app() -> ASGIApp:
    workers = int(os.environ.get("FLASK_WORKERS", "10"))
    return wsgi_to_asgi(create_flask_app(), workers=workers)
