"""Swagger UI and ReDoc, served offline, and the OpenAPI document.

    /docs           Swagger UI
    /redoc          ReDoc
    /openapi.json   the document both pages read

The pages' assets come from the installed drf-spectacular-sidecar package
(the ones DRF's and FastAPI's docs use), served by a route of this
blueprint at /static: no CDN, no internet. Every URL is built from the
request's script root, so the page works under /api/flask or any prefix.
The document is written by spectree from the views (openapi.py), once per
process and mount point.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request, send_from_directory

from common.docs_assets import SIDECAR_STATIC

from . import openapi
from .auth import public

bp = Blueprint("docs", __name__)
TITLE = openapi.TITLE

_SWAGGER_UI_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title} - Swagger UI</title>
<link rel="stylesheet" type="text/css" href="{static}/swagger-ui-dist/swagger-ui.css">
<link rel="icon" type="image/png" href="{static}/swagger-ui-dist/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{static}/swagger-ui-dist/swagger-ui-bundle.js"></script>
<script>
const ui = SwaggerUIBundle({config});
</script>
</body>
</html>
"""


# The same page FastAPI's get_redoc_html writes, without Google Fonts (offline:
# ReDoc falls back to the system fonts).
_REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - ReDoc</title>
<link rel="icon" type="image/png" href="{static}/swagger-ui-dist/favicon-32x32.png">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc requires JavaScript to show the documentation.</noscript>
<redoc spec-url="{spec_url}"></redoc>
<script src="{static}/redoc/bundles/redoc.standalone.js"></script>
</body>
</html>
"""


@bp.get("/docs")
@public
def swagger_ui() -> Response:
    root = request.script_root
    config = {
        "url": f"{root}/openapi.json",
        "dom_id": "#swagger-ui",
        "deepLinking": True,
        "persistAuthorization": True,
        "oauth2RedirectUrl": f"{root}/static/swagger-ui-dist/oauth2-redirect.html",
    }
    # "</" inside a <script> would end it early; JSON allows "<\/" instead.
    config_js = json.dumps(config).replace("</", "<\\/")
    page = _SWAGGER_UI_PAGE.format(title=TITLE, static=f"{root}/static", config=config_js)
    return Response(page, mimetype="text/html")


@bp.get("/redoc")
@public
def redoc() -> Response:
    root = request.script_root
    # script_root is the mount prefix (/api/flask), never client input.
    page = _REDOC_PAGE.format(
        title=TITLE, static=f"{root}/static", spec_url=f"{root}/openapi.json"
    )
    return Response(page, mimetype="text/html")


@bp.get("/openapi.json")
@public
def openapi_json() -> dict[str, Any]:
    # script_root is the mount prefix (/api/flask), the same on every request.
    server_url = request.script_root or "/"
    documents: dict[str, Any] = current_app.extensions.setdefault("openapi_documents", {})
    if server_url not in documents:
        documents[server_url] = openapi.document(current_app, server_url=server_url)
    return documents[server_url]


@bp.get("/static/<path:filename>")
@public
def static(filename: str) -> Response:
    """Swagger UI's and ReDoc's assets (send_from_directory refuses paths leaving the folder)."""
    return send_from_directory(SIDECAR_STATIC, filename)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
