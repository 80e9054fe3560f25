"""Give the request's database connections back at the end of every request.

Django does this for its own views from the request_started and
request_finished signals. A Flask app mounted beside Django never fires
them, so without this hook every a2wsgi worker thread would keep the
connection it opened (with psycopg's pool: keep it checked out) for good,
and requests beyond the pool's size would wait for a connection nobody
returns (../shared/NOTES.md).

`teardown_request` runs after every request, successful or not, on the
thread that handled it: the thread whose connections these are (Django's
connections are per thread). `close_old_connections` is exactly what
request_finished calls: with CONN_MAX_AGE=0 it closes, which with
`OPTIONS["pool"]` returns the connection to the pool.
"""

from __future__ import annotations

from django.db import close_old_connections
from flask import Flask


def close_connections(exc: BaseException | None = None) -> None:
    close_old_connections()


def init_app(app: Flask) -> None:
    """Register the teardown; called by the application factory."""
    app.teardown_request(close_connections)
