"""Give the request's database connections back at the end of every request.

Django does this for its own views from the request_started and
request_finished signals; a Flask app mounted beside Django never fires
them. `teardown_request` is Flask's hook for it: it runs after every
request, successful or not, on the thread that handled it, the thread whose
connections these are (Django's connections are per thread). What it does
is shared with FastAPI: `common.db.release_connections`.
"""

from __future__ import annotations

from flask import Flask

from common.db import release_connections


def release_request_connections(exc: BaseException | None = None) -> None:
    """The teardown: `exc` (the request's unhandled error, if any) changes nothing."""
    release_connections()


def init_app(app: Flask) -> None:
    """Register the teardown; called by the application factory."""
    app.teardown_request(release_request_connections)
